using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// The transactional ids of one partition of <c>__transaction_state</c> during one leadership: a replicated state
/// machine whose log is that partition, run by <see cref="CoordinatorRuntime{TShard}"/>. Every state change is written
/// (<see cref="TransactionLogRecords"/>) and applied in memory only once durable, by <see cref="Replay"/> — <b>written
/// before acting</b>: a client is answered, and markers are written, only after the state that allows it is in the
/// log, so a replay after a crash resumes exactly where the coordinator was.
/// <para>
/// At most one change per id is in flight (<see cref="Entry.Pending"/>); a request meeting one gets
/// CONCURRENT_TRANSACTIONS and the client retries. After PrepareCommit/PrepareAbort is durable the markers are
/// written through <see cref="ITransactionMarkerWriter"/> (retried until done), with the leader epoch as coordinator
/// epoch, and then CompleteCommit/CompleteAbort. A timer aborts Ongoing transactions older than their timeout (bumping
/// the epoch, which fences the producer), re-drives Prepare states whose completion failed, and expires unused ids.
/// </para>
/// <para>Lifecycle: built empty per leadership; replayed; <see cref="OnLoaded"/> starts the timer and resumes prepared
/// transactions; on unload the runtime cancels the timer and the background completions (the next leader resumes them).</para>
/// Thread-safety: not thread-safe by itself — every member runs on the partition's event loop
/// (<see cref="CoordinatorContext"/>); awaited work (producer-id allocation, marker writes) runs outside it and comes
/// back through <see cref="CoordinatorContext.Execute"/>.
/// </summary>
internal sealed class TransactionCoordinatorShard : ICoordinatorShard
{
    private readonly CoordinatorContext _context;
    private readonly ITransactionMarkerWriter _markers;
    private readonly Func<CancellationToken, Task<(ErrorCode Error, long ProducerId)>> _newProducerId;
    private readonly TransactionCoordinatorOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public TransactionCoordinatorShard(CoordinatorContext context, ITransactionMarkerWriter markers, Func<CancellationToken, Task<(ErrorCode Error, long ProducerId)>> newProducerId, TransactionCoordinatorOptions options, ILogger logger)
    {
        _context = context;
        _markers = markers;
        _newProducerId = newProducerId;
        _options = options;
        _logger = logger;
    }

    public int Partition => _context.Partition;

    /// <summary>How many transactional ids the shard holds.</summary>
    public int Count => _entries.Count;

    private long NowMs => _context.Time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- Replay and lifecycle -----------------------------------------------------------------------------------

    /// <summary>
    /// The one switch records go through: a transactional id's newest state replaces its entry (remembering the
    /// previous producer id and epoch for KIP-360 retries); a tombstone or Dead state forgets the id.
    /// </summary>
    public void Replay(in CoordinatorRecord record)
    {
        if (record.Marker is not null || TransactionLogRecords.ReadKey(record.Key) is not { } id)
        {
            return;
        }

        var next = record.Value is null ? null : TransactionLogRecords.ReadValue(record.Value);
        if (next is null || next.State == TransactionState.Dead)
        {
            _entries.Remove(id);
            return;
        }

        if (!_entries.TryGetValue(id, out var entry))
        {
            _entries[id] = new Entry(id) { Current = next };
            return;
        }

        if (entry.Current.ProducerId >= 0 && (entry.Current.ProducerId != next.ProducerId || entry.Current.ProducerEpoch != next.ProducerEpoch))
        {
            entry.LastProducerId = entry.Current.ProducerId;
            entry.LastProducerEpoch = entry.Current.ProducerEpoch;
        }

        entry.Current = next;
        entry.IsNew = false;
    }

    /// <summary>Starts the timer and resumes the completion of every prepared transaction.</summary>
    public void OnLoaded()
    {
        _context.CreateTimer(OnTimer, _options.AbortTimedOutTransactionsInterval, _options.AbortTimedOutTransactionsInterval);
        var resumed = 0;
        foreach (var entry in _entries.Values.Where(e => e.Current.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort))
        {
            StartCompletionLocked(entry);
            resumed++;
        }

        _logger.LogDebug("Loaded {Count} transactional ids from __transaction_state-{Partition}; completing {Resumed} prepared transaction(s)", _entries.Count, Partition, resumed);
    }

    /// <summary>Nothing is parked here: requests wait on writes, which the runtime fails; background completions stop with the context.</summary>
    public void OnUnloaded() => _entries.Clear();

    // ---- Requests -----------------------------------------------------------------------------------------------

    /// <summary>
    /// InitProducerId with a transactional id. A new id gets a fresh producer id at epoch 0; a known one gets its epoch
    /// bumped (fencing the previous producer), after aborting an Ongoing transaction first (answered
    /// CONCURRENT_TRANSACTIONS; the client retries once the abort completed). With <paramref name="expectedProducerId"/>
    /// (KIP-360, v3+) the caller must hold the current id and epoch, else PRODUCER_FENCED.
    /// </summary>
    public async Task<(ErrorCode Error, long ProducerId, short ProducerEpoch)> InitProducerIdAsync(string transactionalId, int timeoutMs, long expectedProducerId, short expectedEpoch)
    {
        // First event (on the loop, called through the runtime): validate and mark the entry pending.
        Entry entry;
        bool needsNewId;
        {
            if (!_entries.TryGetValue(transactionalId, out var existing))
            {
                existing = new Entry(transactionalId) { Current = new TransactionSnapshot(-1, -1, timeoutMs, TransactionState.Empty, [], NowMs, -1), IsNew = true };
                _entries[transactionalId] = existing;
            }
            else if (existing.Pending)
            {
                return (ErrorCode.ConcurrentTransactions, -1, -1);
            }
            else if (expectedProducerId >= 0 && !(expectedProducerId == existing.Current.ProducerId && expectedEpoch == existing.Current.ProducerEpoch)
                && !(expectedProducerId == existing.LastProducerId && expectedEpoch == existing.LastProducerEpoch))
            {
                return (ErrorCode.ProducerFenced, -1, -1);
            }

            entry = existing;
            switch (entry.Current.State)
            {
                case TransactionState.PrepareCommit or TransactionState.PrepareAbort or TransactionState.PrepareEpochFence:
                    return (ErrorCode.ConcurrentTransactions, -1, -1);
                case TransactionState.Ongoing:
                    // Fence the running producer and abort its transaction; the client retries InitProducerId.
                    _ = PrepareAbortLocked(entry, bumpEpoch: true, "fenced by a new producer with the same transactional id");
                    return (ErrorCode.ConcurrentTransactions, -1, -1);
            }

            entry.Pending = true;
            needsNewId = entry.Current.ProducerId < 0 || entry.Current.ProducerEpoch >= short.MaxValue - 1;
        }

        var producerId = entry.Current.ProducerId;
        short epoch = (short)(entry.Current.ProducerEpoch + 1);
        if (needsNewId)
        {
            var (error, id) = await _newProducerId(CancellationToken.None).ConfigureAwait(false);
            if (error != ErrorCode.None)
            {
                _context.Execute(() =>
                {
                    entry.Pending = false;
                    if (entry.IsNew && _entries.GetValueOrDefault(transactionalId) == entry)
                    {
                        _entries.Remove(transactionalId);
                    }
                });
                return (ErrorCode.CoordinatorLoadInProgress, -1, -1);
            }

            producerId = id;
            epoch = 0;
        }

        // Back on the loop (unless the leadership ended meanwhile: NOT_COORDINATOR) to write the new producer.
        var written = Task.FromResult(ErrorCode.NotCoordinator);
        _context.Execute(() => written = WriteLocked(entry, new TransactionSnapshot(producerId, epoch, timeoutMs, TransactionState.Empty, [], NowMs, -1)));
        var result = await written.ConfigureAwait(false);
        _context.Execute(() =>
        {
            if (result != ErrorCode.None && entry.IsNew && _entries.GetValueOrDefault(transactionalId) == entry)
            {
                _entries.Remove(transactionalId);
            }
        });

        return result == ErrorCode.None ? (ErrorCode.None, producerId, epoch) : (result, -1, -1);
    }

    /// <summary>AddPartitionsToTxn (and AddOffsetsToTxn with the group's offsets partition): the transaction becomes Ongoing with them.</summary>
    public Task<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions)
    {
        var error = ValidateLocked(transactionalId, producerId, producerEpoch, out var entry);
        if (error != ErrorCode.None)
        {
            return Task.FromResult(error);
        }

        var current = entry!.Current;
        if (current.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort or TransactionState.PrepareEpochFence)
        {
            return Task.FromResult(ErrorCode.ConcurrentTransactions);
        }

        if (current.State == TransactionState.Ongoing && partitions.All(p => entry.PartitionSet.Contains(p)))
        {
            return Task.FromResult(ErrorCode.None);
        }

        var now = NowMs;
        var all = current.State == TransactionState.Ongoing ? current.Partitions.Union(partitions).ToList() : partitions.Distinct().ToList();
        var next = current with
        {
            State = TransactionState.Ongoing,
            Partitions = all,
            LastUpdateTimestampMs = now,
            StartTimestampMs = current.State == TransactionState.Ongoing ? current.StartTimestampMs : now,
        };
        return WriteLocked(entry, next);
    }

    /// <summary>
    /// EndTxn: Ongoing → PrepareCommit/PrepareAbort, answered once that is durable; markers and the Complete state
    /// follow in the background. A retry of a completed (or completing) end with the same result succeeds
    /// (CONCURRENT_TRANSACTIONS while completing); the opposite result, or an end without a transaction, is
    /// INVALID_TXN_STATE — so a late EndTxn never decides another transaction than the one it ended.
    /// </summary>
    public Task<ErrorCode> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit)
    {
        var error = ValidateLocked(transactionalId, producerId, producerEpoch, out var entry);
        if (error != ErrorCode.None)
        {
            return Task.FromResult(error);
        }

        var state = entry!.Current.State;
        switch (state)
        {
            case TransactionState.Ongoing:
                return commit ? PrepareCommitLocked(entry) : PrepareAbortLocked(entry, bumpEpoch: false, "aborted by the producer");
            case TransactionState.CompleteCommit:
                return Task.FromResult(commit ? ErrorCode.None : ErrorCode.InvalidTxnState);
            case TransactionState.CompleteAbort:
                return Task.FromResult(commit ? ErrorCode.InvalidTxnState : ErrorCode.None);
            case TransactionState.PrepareCommit:
                return Task.FromResult(commit ? ErrorCode.ConcurrentTransactions : ErrorCode.InvalidTxnState);
            case TransactionState.PrepareAbort:
                return Task.FromResult(commit ? ErrorCode.InvalidTxnState : ErrorCode.ConcurrentTransactions);
            default:
                return Task.FromResult(ErrorCode.InvalidTxnState);
        }
    }

    /// <summary>
    /// KIP-890 part 1: may this producer write a transactional batch (or transactional offsets) to
    /// <paramref name="partition"/> now? Only when its transaction is Ongoing with the partition added, at the current
    /// epoch. A late batch of a finished transaction gets INVALID_TXN_STATE, an old epoch INVALID_PRODUCER_EPOCH.
    /// </summary>
    public ErrorCode VerifyPartition(string transactionalId, long producerId, short producerEpoch, TopicPartition partition)
    {
        if (!_entries.TryGetValue(transactionalId, out var entry) || entry.Current.ProducerId != producerId)
        {
            return ErrorCode.InvalidTxnState;
        }

        if (producerEpoch < entry.Current.ProducerEpoch)
        {
            return ErrorCode.InvalidProducerEpoch;
        }

        return producerEpoch == entry.Current.ProducerEpoch && entry.Current.State == TransactionState.Ongoing && entry.PartitionSet.Contains(partition)
            ? ErrorCode.None
            : ErrorCode.InvalidTxnState;
    }

    public List<TransactionDescription> List()
    {
        return [.. _entries.Values.Where(e => e.Current.ProducerId >= 0).Select(e => new TransactionDescription(e.TransactionalId, e.Current))];
    }

    public (ErrorCode Error, TransactionDescription? Description) Describe(string transactionalId)
    {
        return _entries.TryGetValue(transactionalId, out var entry) && entry.Current.ProducerId >= 0
            ? (ErrorCode.None, new TransactionDescription(transactionalId, entry.Current))
            : (ErrorCode.TransactionalIdNotFound, null);
    }

    // ---- Transitions --------------------------------------------------------------------------------------------

    private ErrorCode ValidateLocked(string transactionalId, long producerId, short producerEpoch, out Entry? entry)
    {
        entry = null;
        if (!_entries.TryGetValue(transactionalId, out entry) || entry.Current.ProducerId < 0)
        {
            return ErrorCode.InvalidProducerIdMapping;
        }

        if (entry.Current.ProducerId != producerId)
        {
            return ErrorCode.InvalidProducerIdMapping;
        }

        if (producerEpoch != entry.Current.ProducerEpoch)
        {
            return ErrorCode.ProducerFenced;
        }

        return entry.Pending ? ErrorCode.ConcurrentTransactions : ErrorCode.None;
    }

    private Task<ErrorCode> PrepareCommitLocked(Entry entry)
    {
        var next = entry.Current with { State = TransactionState.PrepareCommit, LastUpdateTimestampMs = NowMs };
        return WriteLocked(entry, next, then: StartCompletionLocked);
    }

    /// <summary>Ongoing → PrepareAbort, optionally at a bumped epoch (fencing: timeout, a new producer instance).</summary>
    private Task<ErrorCode> PrepareAbortLocked(Entry entry, bool bumpEpoch, string reason)
    {
        var current = entry.Current;
        var epoch = bumpEpoch && current.ProducerEpoch < short.MaxValue - 1 ? (short)(current.ProducerEpoch + 1) : current.ProducerEpoch;
        var next = current with { State = TransactionState.PrepareAbort, ProducerEpoch = epoch, LastUpdateTimestampMs = NowMs };
        _logger.LogInformation("Aborting transaction of {TransactionalId} (producer {ProducerId}, epoch {Epoch} -> {NewEpoch}): {Reason}", entry.TransactionalId, current.ProducerId, current.ProducerEpoch, epoch, reason);
        return WriteLocked(entry, next, then: StartCompletionLocked);
    }

    /// <summary>
    /// Writes the markers of a Prepare state in the background, retrying failed partitions, then the Complete state.
    /// The coordinator epoch of the markers is the leader epoch this shard was loaded at.
    /// </summary>
    private void StartCompletionLocked(Entry entry)
    {
        entry.Pending = true;
        var snapshot = entry.Current;
        var marker = new TransactionMarker(snapshot.ProducerId, snapshot.ProducerEpoch, _context.LeaderEpoch, snapshot.State == TransactionState.PrepareCommit);
        var token = _context.Closed;
        _ = Task.Run(() => CompleteAsync(entry, snapshot, marker, token), CancellationToken.None);
    }

    private async Task CompleteAsync(Entry entry, TransactionSnapshot prepared, TransactionMarker marker, CancellationToken cancellationToken)
    {
        var commit = marker.Commit;
        IReadOnlyCollection<TopicPartition> remaining = prepared.Partitions;
        try
        {
            while (remaining.Count > 0)
            {
                var failed = await _markers.WriteMarkersAsync(marker, remaining, cancellationToken).ConfigureAwait(false);
                if (failed.Count == 0)
                {
                    break;
                }

                _logger.LogWarning("Writing {Result} markers of {TransactionalId} failed for {Partitions}; retrying", commit ? "COMMIT" : "ABORT", entry.TransactionalId, string.Join(", ", failed.Select(f => $"{f.Partition} ({f.Error})")));
                remaining = [.. failed.Select(f => f.Partition)];
                await Task.Delay(_options.RetryBackoff, _context.Time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return; // unloaded: the next leader resumes from the Prepare state
        }
#pragma warning disable CA1031 // A marker writer failure must not be lost: the timer re-drives the completion.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "Writing markers of {TransactionalId} failed; retrying later", entry.TransactionalId);
            _context.Execute(() => entry.Pending = false);
            return;
        }

        Task<ErrorCode>? written = null;
        _context.Execute(() =>
        {
            if (entry.Current == prepared)
            {
                written = WriteLocked(entry, prepared with
                {
                    State = commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
                    Partitions = [],
                    LastUpdateTimestampMs = NowMs,
                });
            }
        });
        if (written is null)
        {
            return; // unloaded, or the state moved on
        }

        var error = await written.ConfigureAwait(false);
        if (error != ErrorCode.None)
        {
            _logger.LogWarning("Writing the completion of {TransactionalId} failed ({Error}); the timer retries it", entry.TransactionalId, error);
        }
    }

    /// <summary>
    /// Appends <paramref name="next"/> for the entry; once durable its replay makes it the entry's state, then
    /// <paramref name="then"/> runs on the loop. The entry is Pending meanwhile. Returns the write's error as clients
    /// are told it: NOT_COORDINATOR, or COORDINATOR_NOT_AVAILABLE for any other failure (nothing applied).
    /// </summary>
    private Task<ErrorCode> WriteLocked(Entry entry, TransactionSnapshot next, Action<Entry>? then = null)
    {
        entry.Pending = true;
        var record = CoordinatorRecord.Data(TransactionLogRecords.Key(entry.TransactionalId), TransactionLogRecords.Value(next));
        return _context.Append(
                [record],
                onCommitted: () =>
                {
                    entry.Pending = false;
                    then?.Invoke(entry);
                },
                onFailed: _ => entry.Pending = false)
            .ContinueWith(
                t => t.Result is ErrorCode.None or ErrorCode.NotCoordinator ? t.Result : ErrorCode.CoordinatorNotAvailable,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
    }

    /// <summary>Timer: aborts Ongoing transactions past their timeout and re-drives stalled Prepare states.</summary>
    private void OnTimer()
    {
        var now = NowMs;
        foreach (var entry in _entries.Values.Where(e => !e.Pending).ToList())
        {
            var current = entry.Current;
            if (current.State == TransactionState.Ongoing && current.StartTimestampMs >= 0 && now - current.StartTimestampMs >= current.TimeoutMs)
            {
                _ = PrepareAbortLocked(entry, bumpEpoch: true, $"timed out after {current.TimeoutMs} ms");
            }
            else if (current.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort)
            {
                StartCompletionLocked(entry);
            }
            else if (current.State is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort
                && now - current.LastUpdateTimestampMs >= (long)_options.TransactionalIdExpiration.TotalMilliseconds)
            {
                ExpireLocked(entry);
            }
        }
    }

    /// <summary>
    /// Forgets an id unused for <see cref="TransactionCoordinatorOptions.TransactionalIdExpiration"/>: writes its
    /// tombstone, and once that is durable drops the entry (a request meanwhile meets it pending and retries).
    /// </summary>
    private void ExpireLocked(Entry entry)
    {
        entry.Pending = true;
        _ = _context.Append(
            [CoordinatorRecord.Data(TransactionLogRecords.Key(entry.TransactionalId), null)],
            onCommitted: () =>
            {
                entry.Pending = false;
                _logger.LogInformation("Expired transactional id {TransactionalId} of __transaction_state-{Partition}: unused for {Expiration}", entry.TransactionalId, Partition, _options.TransactionalIdExpiration);
            },
            onFailed: _ => entry.Pending = false); // the id stays; the next timer tick tries again
    }

    /// <summary>One transactional id in memory: its durable state and what is in flight.</summary>
    private sealed class Entry(string transactionalId)
    {
        private TransactionSnapshot _current = null!;

        public string TransactionalId { get; } = transactionalId;

        public TransactionSnapshot Current
        {
            get => _current;
            set
            {
                _current = value;
                PartitionSet = [.. value.Partitions];
            }
        }

        public HashSet<TopicPartition> PartitionSet { get; private set; } = [];

        /// <summary>A state write or a completion is in flight: other requests get CONCURRENT_TRANSACTIONS.</summary>
        public bool Pending { get; set; }

        /// <summary>Created by an InitProducerId whose first write is not durable yet.</summary>
        public bool IsNew { get; set; }

        /// <summary>The producer id and epoch before the last bump (KIP-360 retries); in memory only.</summary>
        public long LastProducerId { get; set; } = -1;

        public short LastProducerEpoch { get; set; } = -1;
    }
}
