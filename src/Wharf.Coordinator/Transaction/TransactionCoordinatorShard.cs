using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// The transactional ids of one partition of <c>__transaction_state</c>: a replicated state machine whose log is that
/// partition. Every state change is written (<see cref="TransactionLogRecords"/>) and applied in memory only once
/// durable — <b>written before acting</b>: a client is answered, and markers are written, only after the state that
/// allows it is in the log, so a replay after a crash resumes exactly where the coordinator was.
/// <para>
/// At most one change per id is in flight (<see cref="Entry.Pending"/>); a request meeting one gets
/// CONCURRENT_TRANSACTIONS and the client retries. After PrepareCommit/PrepareAbort is durable the markers are
/// written through <see cref="ITransactionMarkerWriter"/> (retried until done) and then CompleteCommit/CompleteAbort.
/// A timer aborts Ongoing transactions older than their timeout (bumping the epoch, which fences the producer) and
/// re-drives Prepare states whose completion failed.
/// </para>
/// <para>Lifecycle: created unloaded; <see cref="LoadAsync"/> replays the partition (resuming Prepare states);
/// <see cref="Unload"/> drops the state (in-flight completions stop).</para>
/// Thread-safety: one lock per shard serialises every event; awaited work runs outside it.
/// </summary>
internal sealed class TransactionCoordinatorShard : IDisposable
{
    private readonly Lock _lock = new();
    private readonly IPartitionWriter _writer;
    private readonly ITransactionMarkerWriter _markers;
    private readonly Func<CancellationToken, Task<(ErrorCode Error, long ProducerId)>> _newProducerId;
    private readonly TransactionCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private State _state = State.Unloaded;
    private int _generation;
    private ITimer? _timer;
    private CancellationTokenSource _unloaded = new();

    public TransactionCoordinatorShard(int partition, IPartitionWriter writer, ITransactionMarkerWriter markers, Func<CancellationToken, Task<(ErrorCode Error, long ProducerId)>> newProducerId, TransactionCoordinatorOptions options, TimeProvider time, ILogger logger)
    {
        Partition = partition;
        _writer = writer;
        _markers = markers;
        _newProducerId = newProducerId;
        _options = options;
        _time = time;
        _logger = logger;
    }

    private enum State
    {
        Unloaded,
        Loading,
        Active,
    }

    public int Partition { get; }

    public ErrorCode Status
    {
        get
        {
            lock (_lock)
            {
                return StatusLocked();
            }
        }
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private int CoordinatorEpoch => _options.CoordinatorEpoch?.Invoke(Partition) ?? 0;

    // ---- Lifecycle ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Replays the partition and becomes active, resuming prepared transactions; returns the number of transactional
    /// ids it then holds (0 when it was already loaded or loading).
    /// </summary>
    public async Task<int> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_state != State.Unloaded)
            {
                return 0;
            }

            _state = State.Loading;
        }

        var loaded = new Dictionary<string, TransactionSnapshot>(StringComparer.Ordinal);
        try
        {
            await foreach (var chunk in _writer.ReadAsync(Partition, cancellationToken).ConfigureAwait(false))
            {
                Replay(chunk.Span, loaded);
            }
        }
        catch
        {
            lock (_lock)
            {
                _state = State.Unloaded;
            }

            throw;
        }

        lock (_lock)
        {
            _generation++;
            _unloaded = new CancellationTokenSource();
            foreach (var (id, snapshot) in loaded)
            {
                if (snapshot.State != TransactionState.Dead)
                {
                    _entries[id] = new Entry(id) { Current = snapshot };
                }
            }

            _state = State.Active;
            _timer = _time.CreateTimer(static s => ((TransactionCoordinatorShard)s!).OnTimer(), this, _options.AbortTimedOutTransactionsInterval, _options.AbortTimedOutTransactionsInterval);
            var resumed = 0;
            foreach (var entry in _entries.Values.Where(e => e.Current.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort))
            {
                StartCompletionLocked(entry);
                resumed++;
            }

            _logger.LogDebug("Loaded {Count} transactional ids from __transaction_state-{Partition}; completing {Resumed} prepared transaction(s)", _entries.Count, Partition, resumed);
            return _entries.Count;
        }
    }

    public void Unload()
    {
        lock (_lock)
        {
            _state = State.Unloaded;
            _generation++;
            _timer?.Dispose();
            _timer = null;
            _unloaded.Cancel();
            _entries.Clear();
        }
    }

    public void Dispose() => Unload();

    // ---- Requests -----------------------------------------------------------------------------------------------

    /// <summary>
    /// InitProducerId with a transactional id. A new id gets a fresh producer id at epoch 0; a known one gets its epoch
    /// bumped (fencing the previous producer), after aborting an Ongoing transaction first (answered
    /// CONCURRENT_TRANSACTIONS; the client retries once the abort completed). With <paramref name="expectedProducerId"/>
    /// (KIP-360, v3+) the caller must hold the current id and epoch, else PRODUCER_FENCED.
    /// </summary>
    public async Task<(ErrorCode Error, long ProducerId, short ProducerEpoch)> InitProducerIdAsync(string transactionalId, int timeoutMs, long expectedProducerId, short expectedEpoch)
    {
        Entry entry;
        bool needsNewId;
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return (status, -1, -1);
            }

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
                lock (_lock)
                {
                    entry.Pending = false;
                    if (entry.IsNew && _entries.GetValueOrDefault(transactionalId) == entry)
                    {
                        _entries.Remove(transactionalId);
                    }
                }

                return (ErrorCode.CoordinatorLoadInProgress, -1, -1);
            }

            producerId = id;
            epoch = 0;
        }

        Task<ErrorCode> written;
        lock (_lock)
        {
            var next = new TransactionSnapshot(producerId, epoch, timeoutMs, TransactionState.Empty, [], NowMs, -1);
            written = WriteLocked(entry, next);
        }

        var result = await written.ConfigureAwait(false);
        lock (_lock)
        {
            if (result != ErrorCode.None && entry.IsNew && _entries.GetValueOrDefault(transactionalId) == entry)
            {
                _entries.Remove(transactionalId);
            }
        }

        return result == ErrorCode.None ? (ErrorCode.None, producerId, epoch) : (result, -1, -1);
    }

    /// <summary>AddPartitionsToTxn (and AddOffsetsToTxn with the group's offsets partition): the transaction becomes Ongoing with them.</summary>
    public Task<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_lock)
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
    }

    /// <summary>
    /// EndTxn: Ongoing → PrepareCommit/PrepareAbort, answered once that is durable; markers and the Complete state
    /// follow in the background. A retry of a completed (or completing) end with the same result succeeds
    /// (CONCURRENT_TRANSACTIONS while completing); the opposite result, or an end without a transaction, is
    /// INVALID_TXN_STATE — so a late EndTxn never decides another transaction than the one it ended.
    /// </summary>
    public Task<ErrorCode> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit)
    {
        lock (_lock)
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
    }

    /// <summary>
    /// KIP-890 part 1: may this producer write a transactional batch (or transactional offsets) to
    /// <paramref name="partition"/> now? Only when its transaction is Ongoing with the partition added, at the current
    /// epoch. A late batch of a finished transaction gets INVALID_TXN_STATE, an old epoch INVALID_PRODUCER_EPOCH.
    /// </summary>
    public ErrorCode VerifyPartition(string transactionalId, long producerId, short producerEpoch, TopicPartition partition)
    {
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return status;
            }

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
    }

    public List<TransactionDescription> List()
    {
        lock (_lock)
        {
            return _state != State.Active ? [] : [.. _entries.Values.Where(e => e.Current.ProducerId >= 0).Select(e => new TransactionDescription(e.TransactionalId, e.Current))];
        }
    }

    public (ErrorCode Error, TransactionDescription? Description) Describe(string transactionalId)
    {
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return (status, null);
            }

            return _entries.TryGetValue(transactionalId, out var entry) && entry.Current.ProducerId >= 0
                ? (ErrorCode.None, new TransactionDescription(transactionalId, entry.Current))
                : (ErrorCode.TransactionalIdNotFound, null);
        }
    }

    // ---- Transitions --------------------------------------------------------------------------------------------

    private ErrorCode ValidateLocked(string transactionalId, long producerId, short producerEpoch, out Entry? entry)
    {
        entry = null;
        if (StatusLocked() is var status && status != ErrorCode.None)
        {
            return status;
        }

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

    /// <summary>Writes the markers of a Prepare state, retrying failed partitions, then the Complete state.</summary>
    private void StartCompletionLocked(Entry entry)
    {
        entry.Pending = true;
        var generation = _generation;
        var token = _unloaded.Token;
        var snapshot = entry.Current;
        _ = Task.Run(() => CompleteAsync(entry, snapshot, generation, token), CancellationToken.None);
    }

    private async Task CompleteAsync(Entry entry, TransactionSnapshot prepared, int generation, CancellationToken cancellationToken)
    {
        var commit = prepared.State == TransactionState.PrepareCommit;
        var marker = new TransactionMarker(prepared.ProducerId, prepared.ProducerEpoch, CoordinatorEpoch, commit);
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
                await Task.Delay(_options.RetryBackoff, _time, cancellationToken).ConfigureAwait(false);
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
            lock (_lock)
            {
                if (generation == _generation)
                {
                    entry.Pending = false;
                }
            }

            return;
        }

        Task<ErrorCode> written;
        lock (_lock)
        {
            if (generation != _generation || entry.Current != prepared)
            {
                return;
            }

            var next = prepared with
            {
                State = commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
                Partitions = [],
                LastUpdateTimestampMs = NowMs,
            };
            written = WriteLocked(entry, next);
        }

        var error = await written.ConfigureAwait(false);
        if (error != ErrorCode.None)
        {
            _logger.LogWarning("Writing the completion of {TransactionalId} failed ({Error}); the timer retries it", entry.TransactionalId, error);
        }
    }

    /// <summary>
    /// Appends <paramref name="next"/> for the entry and applies it once durable (then runs <paramref name="then"/> under
    /// the lock). The entry is Pending meanwhile. Returns the write's error.
    /// </summary>
    private Task<ErrorCode> WriteLocked(Entry entry, TransactionSnapshot next, Action<Entry>? then = null)
    {
        entry.Pending = true;
        var generation = _generation;
        var builder = new RecordBatchBuilder();
        builder.Append(NowMs, TransactionLogRecords.Key(entry.TransactionalId), TransactionLogRecords.Value(next));
        Task durable;
        try
        {
            durable = _writer.AppendAsync(Partition, builder.ToArray());
        }
#pragma warning disable CA1031 // Any append failure is reported to the request as an error code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            durable = Task.FromException(e);
        }

        return durable.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    if (generation != _generation)
                    {
                        return ErrorCode.NotCoordinator;
                    }

                    entry.Pending = false;
                    if (!t.IsCompletedSuccessfully)
                    {
                        var error = t.Exception?.InnerException is PartitionWriteException failure ? failure.Error : ErrorCode.CoordinatorNotAvailable;
                        _logger.LogWarning(t.Exception, "Write to __transaction_state-{Partition} for {TransactionalId} failed: {Error}", Partition, entry.TransactionalId, error);
                        return error == ErrorCode.NotCoordinator ? ErrorCode.NotCoordinator : ErrorCode.CoordinatorNotAvailable;
                    }

                    if (entry.Current.ProducerId >= 0 && (entry.Current.ProducerId != next.ProducerId || entry.Current.ProducerEpoch != next.ProducerEpoch))
                    {
                        entry.LastProducerId = entry.Current.ProducerId;
                        entry.LastProducerEpoch = entry.Current.ProducerEpoch;
                    }

                    entry.Current = next;
                    entry.IsNew = false;
                    then?.Invoke(entry);
                    return ErrorCode.None;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>Timer: aborts Ongoing transactions past their timeout and re-drives stalled Prepare states.</summary>
    private void OnTimer()
    {
        lock (_lock)
        {
            if (_state != State.Active)
            {
                return;
            }

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
    }

    /// <summary>
    /// Forgets an id unused for <see cref="TransactionCoordinatorOptions.TransactionalIdExpiration"/>: writes its
    /// tombstone, and once that is durable drops the entry (a request meanwhile meets it pending and retries).
    /// </summary>
    private void ExpireLocked(Entry entry)
    {
        entry.Pending = true;
        var generation = _generation;
        var builder = new RecordBatchBuilder();
        builder.Append(NowMs, TransactionLogRecords.Key(entry.TransactionalId), (byte[]?)null);
        Task durable;
        try
        {
            durable = _writer.AppendAsync(Partition, builder.ToArray());
        }
#pragma warning disable CA1031 // A failed tombstone leaves the id in place; the next timer tick tries again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            durable = Task.FromException(e);
        }

        durable.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    if (generation != _generation)
                    {
                        return;
                    }

                    entry.Pending = false;
                    if (t.IsCompletedSuccessfully && _entries.GetValueOrDefault(entry.TransactionalId) == entry)
                    {
                        _entries.Remove(entry.TransactionalId);
                        _logger.LogInformation("Expired transactional id {TransactionalId} of __transaction_state-{Partition}: unused for {Expiration}", entry.TransactionalId, Partition, _options.TransactionalIdExpiration);
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private ErrorCode StatusLocked() => _state switch
    {
        State.Active => ErrorCode.None,
        State.Loading => ErrorCode.CoordinatorLoadInProgress,
        _ => ErrorCode.NotCoordinator,
    };

    private void Replay(ReadOnlySpan<byte> chunk, Dictionary<string, TransactionSnapshot> loaded)
    {
        for (var position = 0; position + RecordBatchLayout.HeaderSize <= chunk.Length;)
        {
            var header = RecordBatchHeader.Read(chunk[position..]);
            if (header.TotalSize <= 0 || position + header.TotalSize > chunk.Length)
            {
                break;
            }

            var batch = chunk.Slice(position, header.TotalSize);
            position += header.TotalSize;
            if (header.IsControl || RecordBatchReader.TryOpen(batch, 64 << 20, out var reader) != RecordBatchError.None)
            {
                continue;
            }

            using (reader)
            {
                foreach (var record in reader)
                {
                    if (record.IsKeyNull)
                    {
                        continue;
                    }

                    try
                    {
                        if (TransactionLogRecords.ReadKey(record.Key) is not { } id)
                        {
                            continue;
                        }

                        if (record.IsValueNull)
                        {
                            loaded.Remove(id);
                        }
                        else
                        {
                            loaded[id] = TransactionLogRecords.ReadValue(record.Value);
                        }
                    }
                    catch (FormatException e)
                    {
                        _logger.LogWarning(e, "Skipping a malformed record at offset {Offset} of __transaction_state-{Partition}", record.Offset, Partition);
                    }
                }
            }
        }
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
