using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Coordinator.Runtime;

/// <summary>
/// One leadership of one coordinator partition (Kafka's <c>CoordinatorContext</c>): the partition's event loop, its
/// shard, the leader epoch its writes carry, its pending writes and its timers. Created by
/// <see cref="CoordinatorRuntime{TShard}"/> on election, closed on resignation; a closed context is never reopened.
/// <para>
/// The event loop: every event of the partition — a request, a timer firing, a completed append, a step of background
/// work coming back — runs to completion while holding the partition's loop lock, so one partition is never processed
/// concurrently and no event sees another half-done. Events never block or await inside the loop; work that waits
/// (marker writes, producer-id allocation) runs outside and comes back with <see cref="Execute"/>.
/// </para>
/// <para>
/// Writes (<see cref="Append"/>): the batch takes its place in the log inside the event that wrote it, so log order is
/// event order; the shard's state changes only when the batch is durable (durable-write-then-apply), completions are
/// applied in append order, and a failed append changes nothing. Invariant: pending writes are completed exactly once —
/// with their outcome, or NOT_COORDINATOR when the context closes first.
/// </para>
/// Thread-safety: <see cref="Execute"/> and the read-only properties are safe from any thread; <see cref="Append"/> and
/// <see cref="CreateTimer"/> must be called on the loop (inside an event).
/// </summary>
public sealed class CoordinatorContext
{
    private readonly Lock _loop;
    private readonly IPartitionWriter _writer;
    private readonly ILogger _logger;
    private readonly Queue<PendingWrite> _pendingWrites = new();
    private readonly HashSet<CoordinatorTimer> _timers = [];
    private readonly CancellationTokenSource _closed = new();
    private ICoordinatorShard? _shard;

    internal CoordinatorContext(string topic, int partition, int leaderEpoch, Lock loop, IPartitionWriter writer, TimeProvider time, ILogger logger)
    {
        Topic = topic;
        Partition = partition;
        LeaderEpoch = leaderEpoch;
        _loop = loop;
        _writer = writer;
        Time = time;
        _logger = logger;
    }

    internal enum ContextState
    {
        Loading,
        Active,
        Closed,
    }

    public string Topic { get; }

    public int Partition { get; }

    /// <summary>
    /// The partition leader epoch this broker leads at: every append carries it, so a write of a deposed leadership is
    /// refused by the partition; it is also the coordinator epoch of transaction markers. Only grows.
    /// </summary>
    public int LeaderEpoch { get; internal set; }

    public TimeProvider Time { get; }

    /// <summary>Cancelled when the context closes: background work of this leadership stops.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Whether the context still serves its partition (false once closed; loading counts).</summary>
    public bool IsOpen => State != ContextState.Closed;

    internal ContextState State { get; private set; } = ContextState.Loading;

    internal ICoordinatorShard Shard => _shard ?? throw new InvalidOperationException("The context has no shard yet.");

    internal Lock Loop => _loop;

    internal Task Loaded { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="action"/> as an event on the loop if the context is still active; false (not run) once it
    /// closed. Background work of the shard comes back to the loop this way. Never call it from inside an event.
    /// </summary>
    public bool Execute(Action action)
    {
        lock (_loop)
        {
            if (State != ContextState.Active)
            {
                return false;
            }

            action();
            return true;
        }
    }

    /// <summary>
    /// Appends <paramref name="records"/> as one batch at <see cref="LeaderEpoch"/>. Once durable and every earlier
    /// write is completed: replays them into the shard (when <paramref name="replay"/>), runs
    /// <paramref name="onCommitted"/>, completes the task with None. A failed append runs <paramref name="onFailed"/>
    /// and completes with the error (the <see cref="PartitionWriteException.Error"/>, else COORDINATOR_NOT_AVAILABLE);
    /// NOT_COORDINATOR when the context closed first. Call on the loop only.
    /// </summary>
    public Task<ErrorCode> Append(IReadOnlyList<CoordinatorRecord> records, bool replay = true, Action? onCommitted = null, Action<ErrorCode>? onFailed = null)
    {
        EnsureOnLoop();
        if (State != ContextState.Active)
        {
            return Task.FromResult(ErrorCode.NotCoordinator);
        }

        Task durable;
        try
        {
            durable = _writer.AppendAsync(Partition, LeaderEpoch, CoordinatorBatches.Build(records, Time.GetUtcNow().ToUnixTimeMilliseconds()));
        }
#pragma warning disable CA1031 // Any append failure is reported to the operation as an error code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            durable = Task.FromException(e);
        }

        var write = new PendingWrite(durable, replay ? records : [], onCommitted, onFailed);
        _pendingWrites.Enqueue(write);
        durable.ContinueWith(static (_, state) => ((CoordinatorContext)state!).CompleteDurableWrites(), this, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return write.Completion.Task;
    }

    /// <summary>Appends a write operation's <paramref name="result"/> (see <see cref="Append(IReadOnlyList{CoordinatorRecord}, bool, Action?, Action{ErrorCode}?)"/>).</summary>
    public Task<ErrorCode> Append<TResponse>(CoordinatorResult<TResponse> result) =>
        Append(result.Records, result.ReplayRecords, result.OnCommitted, result.OnFailed);

    /// <summary>
    /// A timer whose <paramref name="callback"/> runs as an event on the loop, only while the context is active; the
    /// context cancels it on close. Call on the loop only.
    /// </summary>
    public CoordinatorTimer CreateTimer(Action callback, TimeSpan dueTime, TimeSpan period)
    {
        EnsureOnLoop();
        var timer = new CoordinatorTimer(this, callback);
        _timers.Add(timer);
        timer.Start(Time, dueTime, period);
        return timer;
    }

    /// <summary>The number of timers not yet disposed (tests check that unload cancels them all).</summary>
    internal int TimerCount
    {
        get
        {
            lock (_loop)
            {
                return _timers.Count;
            }
        }
    }

    internal void Attach(ICoordinatorShard shard) => _shard = shard;

    /// <summary>Loading → Active (on the loop).</summary>
    internal void Activate()
    {
        EnsureOnLoop();
        State = ContextState.Active;
    }

    /// <summary>
    /// Closes the context (on the loop): timers cancelled, background work cancelled, pending writes answered
    /// NOT_COORDINATOR without applying them, and the shard told to fail what it parked.
    /// </summary>
    internal void Close()
    {
        EnsureOnLoop();
        if (State == ContextState.Closed)
        {
            return;
        }

        var wasLoaded = State == ContextState.Active;
        State = ContextState.Closed;
        foreach (var timer in _timers)
        {
            timer.Cancel();
        }

        _timers.Clear();
        _closed.Cancel();
        while (_pendingWrites.TryDequeue(out var write))
        {
            write.Completion.TrySetResult(ErrorCode.NotCoordinator);
        }

        if (wasLoaded)
        {
            _shard?.OnUnloaded();
        }
    }

    internal void Forget(CoordinatorTimer timer) => _timers.Remove(timer);

    internal void EnsureOnLoop()
    {
        if (!_loop.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException($"Called outside the event loop of {Topic}-{Partition}.");
        }
    }

    internal void LogEventFailure(Exception e, string what) =>
        _logger.LogError(e, "{What} of {Topic}-{Partition} failed", what, Topic, Partition);

    /// <summary>Applies, in append order, every write at the head of the queue whose append has finished.</summary>
    private void CompleteDurableWrites()
    {
        lock (_loop)
        {
            while (_pendingWrites.TryPeek(out var write) && write.Durable.IsCompleted)
            {
                _pendingWrites.Dequeue();
                if (write.Durable.IsCompletedSuccessfully)
                {
                    try
                    {
                        foreach (var record in write.Records)
                        {
                            Shard.Replay(record);
                        }

                        write.OnCommitted?.Invoke();
                        write.Completion.TrySetResult(ErrorCode.None);
                    }
#pragma warning disable CA1031 // A shard bug must not leave the caller waiting forever.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        LogEventFailure(e, "Applying a durable write");
                        write.Completion.TrySetResult(ErrorCode.UnknownServerError);
                    }
                }
                else
                {
                    var error = write.Durable.Exception?.InnerException is PartitionWriteException failure ? failure.Error : ErrorCode.CoordinatorNotAvailable;
                    _logger.LogWarning(write.Durable.Exception, "Write to {Topic}-{Partition} at leader epoch {Epoch} failed: {Error}", Topic, Partition, LeaderEpoch, error);
                    try
                    {
                        write.OnFailed?.Invoke(error);
                    }
#pragma warning disable CA1031 // As above: the caller still gets its error.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        LogEventFailure(e, "Handling a failed write");
                    }

                    write.Completion.TrySetResult(error);
                }
            }
        }
    }

    private sealed class PendingWrite(Task durable, IReadOnlyList<CoordinatorRecord> records, Action? onCommitted, Action<ErrorCode>? onFailed)
    {
        public Task Durable { get; } = durable;

        /// <summary>The records to replay once durable (empty when the write opted out of replay).</summary>
        public IReadOnlyList<CoordinatorRecord> Records { get; } = records;

        public Action? OnCommitted { get; } = onCommitted;

        public Action<ErrorCode>? OnFailed { get; } = onFailed;

        public TaskCompletionSource<ErrorCode> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
