using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wharf.Storage;

/// <summary>
/// One dedicated thread that runs the log manager's periodic blocking work (interval fsyncs, writeback, retention,
/// compaction, checkpoints) so it never occupies a thread-pool thread. On a 2-core machine the pool has two threads;
/// a timer callback that fsyncs a second's worth of appends blocks one of them for hundreds of milliseconds, and when
/// both are blocked the pool adds a thread only every ~500 ms — measured as produce round trips with a p99 of
/// 500 ms. Timers only <see cref="Schedule"/> a job; a job already queued or running is not queued again.
/// Thread-safety: <see cref="Schedule"/> from any thread; <see cref="Dispose"/> once, after the timers are stopped.
/// </summary>
internal sealed class BackgroundJobThread : IDisposable
{
    private readonly BlockingCollection<BackgroundJob> _queue = [];
    private readonly ILogger _logger;
    private readonly Thread _thread;

    public BackgroundJobThread(string name, ILogger logger)
    {
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="job"/> unless it is already queued or running, or the thread is stopping.</summary>
    /// <returns>Whether the job was queued by this call.</returns>
    public bool Schedule(BackgroundJob job)
    {
        if (!job.TryMarkQueued())
        {
            return false;
        }

        try
        {
            _queue.Add(job);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Stopping: a timer callback raced with Dispose.
            job.MarkDone();
            return false;
        }
    }

    /// <summary>
    /// Waits until every job queued before this call has run: the synchronisation point for a caller that advanced a
    /// fake clock. Not to be called while <see cref="Dispose"/> runs.
    /// </summary>
    public void WaitForQueuedJobs()
    {
        using var done = new ManualResetEventSlim();
        if (Schedule(new BackgroundJob("barrier", done.Set)))
        {
            done.Wait();
        }
    }

    /// <summary>Lets the job that is running finish, drops the queued ones and stops the thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private void Run()
    {
        foreach (var job in _queue.GetConsumingEnumerable())
        {
            if (_queue.IsAddingCompleted)
            {
                job.MarkDone();
                continue;
            }

            try
            {
                job.Body();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Background storage job {Job} failed", job.Name);
            }
            finally
            {
                job.MarkDone();
            }
        }
    }
}

/// <summary>A periodic job of <see cref="BackgroundJobThread"/>; queued at most once at a time.</summary>
internal sealed class BackgroundJob(string name, Action body)
{
    private int _queued;

    public string Name => name;

    public Action Body => body;

    public bool TryMarkQueued() => Interlocked.Exchange(ref _queued, 1) == 0;

    public void MarkDone() => Volatile.Write(ref _queued, 0);
}
