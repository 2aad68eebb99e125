using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Storage;

/// <summary>
/// Group commit for <see cref="LogFlushMode.Ack"/>: appends register "make offset N of this log durable" and get
/// a task; one flusher thread repeatedly takes every request that arrived while it was busy, calls
/// <see cref="Log.Flush"/> once per log involved (one fsync per dirty file, however many appends it holds) and
/// completes the waiting tasks. Under load a round covers many appends across partitions, so fsyncs cost latency,
/// not throughput. Holds no files of its own.
/// Thread-safety: <see cref="RequestFlush"/> is safe from any thread; tasks complete asynchronously (never
/// inline on the flusher thread). One dedicated background thread, started on first use, plus
/// <see cref="FsyncWorkers"/> for the fsyncs of a round that covers several logs (never thread-pool threads).
/// </summary>
public sealed class LogFlusher : IDisposable
{
    private readonly LogEnvironment _environment;
    private readonly object _gate = new();
    private readonly FsyncWorkers _fsyncs = new(MaxParallelFsyncs);
    private List<Request> _pending = [];
    private Thread? _thread;
    private bool _disposed;
    private long _rounds;

    internal LogFlusher(LogEnvironment environment) => _environment = environment;

    /// <summary>Flush rounds run so far (each fsyncs each dirty log once).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>A task that completes when <paramref name="log"/> is durable up to <paramref name="endOffset"/> (exclusive).</summary>
    public Task RequestFlush(Log log, long endOffset)
    {
        if (log.RecoveryPoint >= endOffset)
        {
            return Task.CompletedTask;
        }

        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_disposed)
            {
                return Task.FromException(new ObjectDisposedException(nameof(LogFlusher)));
            }

            _pending.Add(new Request(log, endOffset, completion));
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "wharf-log-flusher" };
                _thread.Start();
            }

            Monitor.Pulse(_gate);
        }

        return completion.Task;
    }

    private void Run()
    {
        while (true)
        {
            List<Request> batch;
            lock (_gate)
            {
                while (_pending.Count == 0 && !_disposed)
                {
                    Monitor.Wait(_gate);
                }

                if (_pending.Count == 0)
                {
                    return;
                }

                batch = _pending;
                _pending = [];
            }

            Interlocked.Increment(ref _rounds);
            var started = Stopwatch.GetTimestamp();
            var groups = batch.GroupBy(r => r.Log).ToList();
            if (groups.Count == 1)
            {
                FlushGroup(groups[0]);
            }
            else
            {
                // fsyncs of different files overlap in the device; issue them concurrently.
                _fsyncs.RunAll(groups, FlushGroup);
            }

            _environment.Metrics?.GroupCommitCompleted(batch.Count, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>How many logs one round fsyncs at the same time.</summary>
    public const int MaxParallelFsyncs = 8;

    private void FlushGroup(IGrouping<Log, Request> group)
    {
        var log = group.Key;
        Exception? failure = null;
        try
        {
            log.Flush();
        }
        catch (Exception e)
        {
            _environment.Logger.LogError(e, "{Partition}: group-commit flush failed", log.TopicPartition);
            failure = e as LogStorageException ?? new LogStorageException($"{log.TopicPartition}: flush failed: {e.Message}", e);
        }

        foreach (var request in group)
        {
            if (failure is not null)
            {
                request.Completion.TrySetException(failure);
            }
            else if (log.RecoveryPoint >= request.EndOffset)
            {
                request.Completion.TrySetResult();
            }
            else
            {
                request.Completion.TrySetException(new LogException(ErrorCode.NotLeaderOrFollower, $"{log.TopicPartition}: offsets below {request.EndOffset} were truncated before they were flushed."));
            }
        }
    }

    /// <summary>Stops the thread after it has served every pending request.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            _disposed = true;
            thread = _thread;
            Monitor.PulseAll(_gate);
        }

        thread?.Join();
        _fsyncs.Dispose();
    }

    private sealed record Request(Log Log, long EndOffset, TaskCompletionSource Completion);
}
