using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Coordinator.Runtime;

/// <summary>
/// Runs the shards of one coordinator topic (<c>__consumer_offsets</c> or <c>__transaction_state</c>), after Kafka's
/// <c>CoordinatorRuntime</c>: a shard per partition this broker leads, loaded when leadership arrives and dropped when
/// it leaves, each behind its own event loop (<see cref="CoordinatorContext"/>).
/// <para>
/// Lifecycle of a partition: not here → <see cref="OnElection"/> → loading (requests get
/// COORDINATOR_LOAD_IN_PROGRESS; every committed record is replayed through <see cref="ICoordinatorShard.Replay"/>) →
/// active → <see cref="OnResignation"/> → not here (requests get NOT_COORDINATOR; pending writes fail with it, timers
/// cancelled, state dropped). Elections and resignations carry the partition leader epoch, so a late one of an older
/// leadership is ignored.
/// </para>
/// <para>
/// Operations: <see cref="Run"/> is an event on the loop that reads or changes in-memory state (it may write through the
/// context itself); <see cref="WriteAsync"/> is an event that returns records and a response — the response is released
/// only once the records are durable and replayed, so what clients are told and what they read is committed state.
/// </para>
/// Thread-safety: all members are safe from any thread. One lock per partition is that partition's event loop;
/// partitions never share a lock, and no lock is held while a caller's continuation runs.
/// </summary>
/// <typeparam name="TShard">The shard type (group or transaction state machine).</typeparam>
public sealed class CoordinatorRuntime<TShard> : IDisposable
    where TShard : class, ICoordinatorShard
{
    private readonly Slot[] _slots;
    private readonly IPartitionWriter _writer;
    private readonly Func<CoordinatorContext, TShard> _newShard;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="topic">The coordinator topic (for logs).</param>
    /// <param name="partitionCount">Its number of partitions.</param>
    /// <param name="writer">The port to the topic's partitions.</param>
    /// <param name="newShard">Builds an empty shard for a new leadership; it is loaded by replay right after.</param>
    /// <param name="time">The clock of timers and record timestamps.</param>
    /// <param name="logger">Where load, unload and write failures are logged.</param>
    public CoordinatorRuntime(string topic, int partitionCount, IPartitionWriter writer, Func<CoordinatorContext, TShard> newShard, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        Topic = topic;
        _slots = [.. Enumerable.Range(0, partitionCount).Select(_ => new Slot())];
        _writer = writer;
        _newShard = newShard;
        _time = time;
        _logger = logger;
    }

    public string Topic { get; }

    public int PartitionCount => _slots.Length;

    /// <summary>Whether any partition is still loading.</summary>
    public bool IsLoading => Enumerable.Range(0, _slots.Length).Any(p => Status(p) == ErrorCode.CoordinatorLoadInProgress);

    /// <summary>
    /// This broker became leader of <paramref name="partition"/> at <paramref name="leaderEpoch"/>: builds a shard and
    /// replays the partition into it. The task completes when the shard is active (or the leadership ended meanwhile)
    /// and faults when the log could not be read (the partition is then not loaded; a later election retries). An
    /// election at an epoch not newer than the current leadership's is ignored; a newer one while already loaded or
    /// loading keeps the state and moves the leadership to the new epoch (as Kafka does), so writes carry it from now on.
    /// </summary>
    public Task OnElection(int partition, int leaderEpoch, CancellationToken cancellationToken = default)
    {
        var slot = _slots[partition];
        CoordinatorContext context;
        lock (slot.Loop)
        {
            if (slot.Current is { } current)
            {
                if (leaderEpoch > current.LeaderEpoch)
                {
                    _logger.LogInformation("{Topic}-{Partition} stays loaded; leader epoch {Old} -> {New}", Topic, partition, current.LeaderEpoch, leaderEpoch);
                    current.LeaderEpoch = leaderEpoch;
                }

                return current.Loaded;
            }

            context = new CoordinatorContext(Topic, partition, leaderEpoch, slot.Loop, _writer, _time, _logger);
            context.Attach(_newShard(context));
            slot.Current = context;
            context.Loaded = LoadAsync(slot, context, cancellationToken);
            return context.Loaded;
        }
    }

    /// <summary>
    /// This broker stopped leading <paramref name="partition"/>: the partition's new <paramref name="leaderEpoch"/> (null:
    /// unconditionally — partition deleted, broker shutting down). Unloads the shard unless it was elected at that epoch
    /// or later (a late resignation of an older leadership).
    /// </summary>
    public void OnResignation(int partition, int? leaderEpoch)
    {
        var slot = _slots[partition];
        lock (slot.Loop)
        {
            if (slot.Current is not { } current || (leaderEpoch is { } epoch && current.LeaderEpoch >= epoch))
            {
                return;
            }

            slot.Current = null;
            current.Close();
            _logger.LogDebug("Unloaded {Topic}-{Partition} (led at epoch {Epoch})", Topic, partition, current.LeaderEpoch);
        }
    }

    /// <summary>None when <paramref name="partition"/> is loaded here; COORDINATOR_LOAD_IN_PROGRESS while loading; NOT_COORDINATOR when not led here.</summary>
    public ErrorCode Status(int partition)
    {
        var slot = _slots[partition];
        lock (slot.Loop)
        {
            return StatusOf(slot.Current);
        }
    }

    /// <summary>The leader epoch <paramref name="partition"/> is loaded at, or null when it is not loaded (or loading) here.</summary>
    public int? LeaderEpoch(int partition)
    {
        var slot = _slots[partition];
        lock (slot.Loop)
        {
            return slot.Current?.LeaderEpoch;
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> as an event on <paramref name="partition"/>'s loop against its active shard;
    /// when the partition is not active here, returns <paramref name="onError"/> of NOT_COORDINATOR or
    /// COORDINATOR_LOAD_IN_PROGRESS instead.
    /// </summary>
    public T Run<T>(int partition, Func<TShard, T> operation, Func<ErrorCode, T> onError)
    {
        var slot = _slots[partition];
        lock (slot.Loop)
        {
            var status = StatusOf(slot.Current);
            return status != ErrorCode.None ? onError(status) : operation((TShard)slot.Current!.Shard);
        }
    }

    /// <summary>
    /// A write operation: runs <paramref name="operation"/> as an event on the loop, appends its records, and completes
    /// with its response once they are durable and replayed. A failed append, or an unload before it completed, gives
    /// the result's <see cref="CoordinatorResult{TResponse}.ErrorResponse"/> or else <paramref name="onError"/>, as
    /// does a partition not active here.
    /// </summary>
    public Task<T> WriteAsync<T>(int partition, Func<TShard, CoordinatorResult<T>> operation, Func<ErrorCode, T> onError)
    {
        var slot = _slots[partition];
        Task<ErrorCode> written;
        CoordinatorResult<T> result;
        lock (slot.Loop)
        {
            var status = StatusOf(slot.Current);
            if (status != ErrorCode.None)
            {
                return Task.FromResult(onError(status));
            }

            result = operation((TShard)slot.Current!.Shard);
            if (result.Records.Count == 0)
            {
                return Task.FromResult(result.Response);
            }

            written = slot.Current.Append(result);
        }

        return written.ContinueWith(
            t => t.Result == ErrorCode.None ? result.Response : (result.ErrorResponse ?? onError)(t.Result),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Runs <paramref name="operation"/> on every active partition, one loop at a time, and concatenates the results.</summary>
    public List<T> RunOnEach<T>(Func<TShard, IEnumerable<T>> operation)
    {
        var all = new List<T>();
        for (var partition = 0; partition < _slots.Length; partition++)
        {
            all.AddRange(Run(partition, shard => operation(shard).ToList(), _ => []));
        }

        return all;
    }

    /// <summary>Unloads every partition (shutdown).</summary>
    public void Dispose()
    {
        for (var partition = 0; partition < _slots.Length; partition++)
        {
            OnResignation(partition, null);
        }
    }

    /// <summary>The context <paramref name="partition"/> is served by now, or null (tests inspect timers through it).</summary>
    internal CoordinatorContext? ContextOf(int partition)
    {
        var slot = _slots[partition];
        lock (slot.Loop)
        {
            return slot.Current;
        }
    }

    private static ErrorCode StatusOf(CoordinatorContext? context) => context?.State switch
    {
        CoordinatorContext.ContextState.Active => ErrorCode.None,
        CoordinatorContext.ContextState.Loading => ErrorCode.CoordinatorLoadInProgress,
        _ => ErrorCode.NotCoordinator,
    };

    private async Task LoadAsync(Slot slot, CoordinatorContext context, CancellationToken cancellationToken)
    {
        await Task.Yield(); // the election returns at once; the replay runs off the caller's thread
        var records = 0L;
        try
        {
            await foreach (var chunk in _writer.ReadAsync(context.Partition, cancellationToken).ConfigureAwait(false))
            {
                var batch = CoordinatorBatches.Read(chunk.Span, _logger, Topic, context.Partition);
                lock (slot.Loop)
                {
                    if (!context.IsOpen)
                    {
                        return; // resigned while loading
                    }

                    foreach (var record in batch)
                    {
                        try
                        {
                            context.Shard.Replay(record);
                        }
                        catch (FormatException e)
                        {
                            _logger.LogWarning(e, "Skipping a malformed record of {Topic}-{Partition}", Topic, context.Partition);
                        }
                    }
                }

                records += batch.Count;
            }

            lock (slot.Loop)
            {
                if (!context.IsOpen)
                {
                    return;
                }

                context.Activate();
                context.Shard.OnLoaded();
                _logger.LogDebug("Loaded {Topic}-{Partition} at leader epoch {Epoch}: {Records} records replayed", Topic, context.Partition, context.LeaderEpoch, records);
            }
        }
        catch (Exception e)
        {
            lock (slot.Loop)
            {
                if (slot.Current == context)
                {
                    slot.Current = null;
                }

                context.Close();
            }

            if (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Loading {Topic}-{Partition} at leader epoch {Epoch} failed", Topic, context.Partition, context.LeaderEpoch);
            }

            throw;
        }
    }

    /// <summary>One partition: its loop lock and the leadership serving it, if any.</summary>
    private sealed class Slot
    {
        public Lock Loop { get; } = new();

        public CoordinatorContext? Current { get; set; }
    }
}
