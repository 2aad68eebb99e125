using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Share;
using Wharf.Records;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Share;

/// <summary>
/// The share-partition leader (KIP-932's <c>SharePartitionManager</c>): serves the share-partitions of the topic
/// partitions this broker leads — acquiring records for ShareFetch, applying acknowledgements, expiring locks, releasing
/// a closed session's records — and keeps their state durable through <see cref="IShareStatePersister"/>.
/// <para>
/// Lifecycle of a share-partition here: loaded on first use at the partition's current leader epoch (its stored state,
/// or a new one at <c>share.auto.offset.reset</c>, written before any record is handed out); dropped when leadership of
/// the partition moves or a state write is fenced, after which the next request loads it again (or is told
/// NOT_LEADER_OR_FOLLOWER). Acquisitions are not persisted (a lock does not survive its leader); acknowledgements,
/// archiving and the start offset are, before the acknowledging request is answered.
/// </para>
/// <para>
/// Dead letters: a record archived by Reject or by the delivery limit is appended to the group's dead-letter topic
/// (when it has one) before the state that archives it is written; if that append fails the state is not written, the
/// acknowledgement fails, and after a restart the record is delivered again — a record is never dropped silently.
/// </para>
/// Thread-safety: all members are safe from any thread; see <see cref="SharePartition"/> for the per-partition locks.
/// </summary>
public sealed class SharePartitionManager : IDisposable
{
    private const int MaxDecompressedBytes = 64 << 20;

    /// <summary>How much of a log one read copies: enough for a few hundred 1 KiB records, so a fetch copies about what it returns.</summary>
    private const int ReadChunkBytes = 256 << 10;

    private readonly ReplicaManager _replicas;
    private readonly IShareStatePersister _persister;
    private readonly Func<string, ShareGroupSettings> _settings;
    private readonly IDeadLetterWriter? _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Group, TopicPartition Partition), Lazy<Task<SharePartition>>> _partitions = new();
    private readonly IDisposable _leadership;
    private readonly ITimer _expiry;

    public SharePartitionManager(ReplicaManager replicas, IShareStatePersister persister, Func<string, ShareGroupSettings> settings, IDeadLetterWriter? deadLetters, TimeProvider time, ILogger logger, TimeSpan? expiryInterval = null)
    {
        _replicas = replicas;
        _persister = persister;
        _settings = settings;
        _deadLetters = deadLetters;
        _time = time;
        _logger = logger;
        _leadership = replicas.WatchLeadership(OnLeadershipChange);
        var interval = expiryInterval ?? TimeSpan.FromMilliseconds(100);
        _expiry = time.CreateTimer(_ => ExpireLocks(), null, interval, interval);
    }

    /// <summary>How many share-partitions are served here now.</summary>
    public int Count => _partitions.Count;

    /// <summary>The effective settings of <paramref name="groupId"/>.</summary>
    public ShareGroupSettings SettingsOf(string groupId) => _settings(groupId);

    /// <summary>
    /// Acquires up to <paramref name="maxRecords"/> records of one share-partition for <paramref name="memberId"/>:
    /// released or expired ones first, then new ones from the log (at most <paramref name="maxBytes"/> of them read). The
    /// answer holds the whole batches that contain the acquired offsets, in offset order.
    /// </summary>
    public async Task<ShareFetchResult> AcquireAsync(string groupId, string memberId, TopicPartition topicPartition, Guid topicId, int maxRecords, int maxBytes, CancellationToken cancellationToken)
    {
        var (error, share) = await GetAsync(groupId, topicPartition, topicId, cancellationToken).ConfigureAwait(false);
        if (share is null)
        {
            return ShareFetchResult.Failed(error);
        }

        var partition = _replicas.GetPartition(topicPartition);
        if (partition is null || partition.LeaderEpoch != share.LeaderEpoch)
        {
            Retire(share);
            return ShareFetchResult.Failed(ErrorCode.NotLeaderOrFollower);
        }

        var settings = _settings(groupId);
        var archived = new List<ArchivedRecord>();
        var batches = new BatchCollector();
        List<AcquiredRange> acquired;
        long version = 0;
        lock (share.Gate)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (share.State.ExpireLocks(now, settings.DeliveryCountLimit, archived) > 0 && archived.Count > 0)
            {
                version = share.MarkChanged();
            }

            if (share.State.StartOffset < partition.LogStartOffset)
            {
                share.State.TruncateBelow(partition.LogStartOffset);
                version = share.MarkChanged();
            }

            var deadline = now + settings.RecordLockDurationMs;
            var room = Math.Min(maxRecords, settings.MaxRecordLocks - share.State.AcquiredCount);
            acquired = room > 0 ? share.State.AcquireAvailable(memberId, room, deadline) : [];
            foreach (var range in acquired)
            {
                ReadBatches(partition, range.FirstOffset, range.LastOffset, maxBytes, batches);
            }

            room -= acquired.Sum(r => (int)(r.LastOffset - r.FirstOffset + 1));
            if (room > 0 && share.State.WindowSize < settings.MaxRecordLocks)
            {
                var before = share.State.StartOffset;
                AcquireNew(share, partition, memberId, room, settings.MaxRecordLocks, maxBytes, settings.ReadCommitted, deadline, acquired, batches);
                if (share.State.StartOffset != before)
                {
                    version = share.MarkChanged(); // gaps, control or aborted records skipped at the start
                }
            }
        }

        if (archived.Count > 0 || version > 0)
        {
            await CompleteAsync(share, groupId, settings, archived, version, cancellationToken).ConfigureAwait(false);
        }

        return new ShareFetchResult(ErrorCode.None, batches.ToArray(), acquired, share.LeaderEpoch);
    }

    /// <summary>
    /// Applies <paramref name="memberId"/>'s acknowledgement batches to one share-partition and waits until the result is
    /// durable. INVALID_RECORD_STATE when a batch names offsets the member does not hold (nothing of that batch applied).
    /// </summary>
    public async Task<ErrorCode> AcknowledgeAsync(string groupId, string memberId, TopicPartition topicPartition, Guid topicId, IReadOnlyList<AcknowledgementBatch> acknowledgements, CancellationToken cancellationToken)
    {
        var (error, share) = await GetAsync(groupId, topicPartition, topicId, cancellationToken).ConfigureAwait(false);
        if (share is null)
        {
            return error;
        }

        var settings = _settings(groupId);
        var archived = new List<ArchivedRecord>();
        long version;
        var result = ErrorCode.None;
        lock (share.Gate)
        {
            foreach (var batch in acknowledgements)
            {
                var batchError = share.State.Acknowledge(memberId, batch.FirstOffset, batch.LastOffset, batch.Types, settings.DeliveryCountLimit, archived);
                if (batchError != ErrorCode.None && result == ErrorCode.None)
                {
                    result = batchError;
                }
            }

            version = share.MarkChanged();
        }

        share.SignalAvailable();
        var written = await CompleteAsync(share, groupId, settings, archived, version, cancellationToken).ConfigureAwait(false);
        return result != ErrorCode.None ? result : written;
    }

    /// <summary>Releases every record <paramref name="memberId"/> holds in the share-partitions of <paramref name="partitions"/> (its share session ended).</summary>
    public async Task ReleaseMemberAsync(string groupId, string memberId, IEnumerable<(TopicPartition Partition, Guid TopicId)> partitions, CancellationToken cancellationToken)
    {
        var settings = _settings(groupId);
        foreach (var (topicPartition, _) in partitions)
        {
            if (Served(groupId, topicPartition) is not { } share)
            {
                continue;
            }

            var archived = new List<ArchivedRecord>();
            long version;
            lock (share.Gate)
            {
                if (share.State.ReleaseMember(memberId, settings.DeliveryCountLimit, archived) == 0)
                {
                    continue;
                }

                version = share.MarkChanged();
            }

            share.SignalAvailable();
            await CompleteAsync(share, groupId, settings, archived, version, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Signals that complete when one of the share-partitions of <paramref name="partitions"/> served here may have
    /// something to acquire again (a release, an expiry, a change of leadership): with the partitions' append signals,
    /// what a ShareFetch with nothing to return waits on.
    /// </summary>
    public List<Task> AvailabilitySignals(string groupId, IEnumerable<TopicPartition> partitions)
    {
        var signals = new List<Task>();
        foreach (var topicPartition in partitions)
        {
            if (Served(groupId, topicPartition) is { } share)
            {
                signals.Add(share.Available);
            }
        }

        return signals;
    }

    /// <summary>Drops every share-partition of <paramref name="groupId"/> served here (its state was altered or deleted elsewhere).</summary>
    public void Forget(string groupId)
    {
        foreach (var key in _partitions.Keys.Where(k => string.Equals(k.Group, groupId, StringComparison.Ordinal)).ToList())
        {
            if (_partitions.TryRemove(key, out var lazy) && Loaded(lazy) is { } share)
            {
                share.Retired = true;
                share.SignalAvailable();
            }
        }
    }

    public void Dispose()
    {
        _expiry.Dispose();
        _leadership.Dispose();
    }

    private async Task<(ErrorCode Error, SharePartition? Share)> GetAsync(string groupId, TopicPartition topicPartition, Guid topicId, CancellationToken cancellationToken)
    {
        var (partition, unavailable) = _replicas.GetPartitionOrError(topicPartition);
        if (partition is null || !partition.IsLeader)
        {
            return (partition is null ? unavailable : ErrorCode.NotLeaderOrFollower, null);
        }

        var key = (groupId, topicPartition);
        while (true)
        {
            var lazy = _partitions.GetOrAdd(key, _ => new Lazy<Task<SharePartition>>(() => LoadAsync(groupId, topicPartition, topicId, partition)));
            try
            {
                var share = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (share.Key.TopicId != topicId)
                {
                    return (ErrorCode.UnknownTopicId, null);
                }

                if (!share.Retired && share.LeaderEpoch == partition.LeaderEpoch)
                {
                    return (ErrorCode.None, share);
                }

                _partitions.TryRemove(new KeyValuePair<(string, TopicPartition), Lazy<Task<SharePartition>>>(key, lazy));
            }
            catch (ShareStateException e)
            {
                _partitions.TryRemove(new KeyValuePair<(string, TopicPartition), Lazy<Task<SharePartition>>>(key, lazy));
                return (e.Error, null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The stored state could not be read or written (a broken connection to its coordinator, a failing
                // disk): this request fails, the next one loads again.
                _partitions.TryRemove(new KeyValuePair<(string, TopicPartition), Lazy<Task<SharePartition>>>(key, lazy));
                _logger.LogWarning(e, "Share-partition {Group}/{Partition}: loading its state failed", groupId, topicPartition);
                return (ErrorCode.CoordinatorNotAvailable, null);
            }
        }
    }

    private async Task<SharePartition> LoadAsync(string groupId, TopicPartition topicPartition, Guid topicId, Partition partition)
    {
        var key = new ShareKey(groupId, topicId, topicPartition.Partition);
        var leaderEpoch = partition.LeaderEpoch;
        var (error, stored) = await _persister.ReadAsync(key, CancellationToken.None).ConfigureAwait(false);
        if (error != ErrorCode.None)
        {
            throw new ShareStateException(error);
        }

        SharePartition share;
        if (stored is not null)
        {
            share = new SharePartition(key, topicPartition, leaderEpoch, stored.StateEpoch, new SharePartitionState(stored.StartOffset, stored.Batches));
        }
        else
        {
            var start = _settings(groupId).AutoOffsetReset == ShareOffsetReset.Earliest ? partition.LogStartOffset : partition.HighWatermark;
            share = new SharePartition(key, topicPartition, leaderEpoch, 0, new SharePartitionState(start));
        }

        // Written at once: a new state so a restart starts where this one did, a loaded one to fence the previous leader.
        ShareSnapshot snapshot;
        lock (share.Gate)
        {
            snapshot = share.Snapshot();
        }

        var written = await _persister.WriteAsync(key, snapshot, CancellationToken.None).ConfigureAwait(false);
        if (written != ErrorCode.None)
        {
            throw new ShareStateException(written);
        }

        _logger.LogInformation("Share-partition {Group}/{Partition} serving from offset {Start} at leader epoch {Epoch} ({How})", groupId, topicPartition, snapshot.StartOffset, leaderEpoch, stored is null ? "new" : "restored");
        return share;
    }

    /// <summary>Dead-letters <paramref name="archived"/>, then persists the share-partition up to <paramref name="version"/>.</summary>
    private async Task<ErrorCode> CompleteAsync(SharePartition share, string groupId, ShareGroupSettings settings, List<ArchivedRecord> archived, long version, CancellationToken cancellationToken)
    {
        if (archived.Count > 0 && settings.DeadLetterTopic is { Length: > 0 } topic && _deadLetters is not null)
        {
            var letters = ReadDeadLetters(share.TopicPartition, archived);
            var dead = await _deadLetters.WriteAsync(groupId, topic, share.TopicPartition, letters, cancellationToken).ConfigureAwait(false);
            if (dead != ErrorCode.None)
            {
                _logger.LogError("Share group {Group}: dead-lettering {Count} record(s) of {Partition} to {Topic} failed ({Error}); their archiving is not persisted, so they are delivered again after a restart", groupId, archived.Count, share.TopicPartition, topic, dead);
                return dead;
            }
        }

        return await PersistAsync(share, version, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ErrorCode> PersistAsync(SharePartition share, long version, CancellationToken cancellationToken)
    {
        await share.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (share.PersistedVersion >= version)
            {
                return ErrorCode.None;
            }

            ShareSnapshot snapshot;
            long covered;
            lock (share.Gate)
            {
                snapshot = share.Snapshot();
                covered = share.ChangeVersion;
            }

            var error = await _persister.WriteAsync(share.Key, snapshot, cancellationToken).ConfigureAwait(false);
            if (error == ErrorCode.None)
            {
                share.PersistedVersion = covered;
            }
            else if (error is ErrorCode.FencedLeaderEpoch or ErrorCode.FencedStateEpoch)
            {
                _logger.LogWarning("Share-partition {Key}: state write fenced ({Error}); serving it again from the stored state", share.Key, error);
                Retire(share);
            }

            return error;
        }
        finally
        {
            share.WriteGate.Release();
        }
    }

    /// <summary>A consistent snapshot of every share-partition loaded here, with how many of its records are acquired now (for metrics).</summary>
    public List<(string Group, TopicPartition Partition, ShareSnapshot State, int Acquired)> Snapshots()
    {
        var snapshots = new List<(string, TopicPartition, ShareSnapshot, int)>();
        foreach (var (key, lazy) in _partitions)
        {
            if (Loaded(lazy) is { Retired: false } share)
            {
                lock (share.Gate)
                {
                    snapshots.Add((key.Group, key.Partition, share.Snapshot(), share.State.AcquiredCount));
                }
            }
        }

        return snapshots;
    }

    /// <summary>The share-partition of <paramref name="groupId"/> and <paramref name="topicPartition"/> if one is loaded here (null while none is, or it is still loading).</summary>
    private SharePartition? Served(string groupId, TopicPartition topicPartition) =>
        _partitions.TryGetValue((groupId, topicPartition), out var lazy) ? Loaded(lazy) : null;

    private static SharePartition? Loaded(Lazy<Task<SharePartition>> lazy) =>
        lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully ? lazy.Value.Result : null;

    private void Retire(SharePartition share)
    {
        share.Retired = true;
        if (_partitions.TryGetValue((share.Key.GroupId, share.TopicPartition), out var lazy) && ReferenceEquals(Loaded(lazy), share))
        {
            _partitions.TryRemove(new KeyValuePair<(string, TopicPartition), Lazy<Task<SharePartition>>>((share.Key.GroupId, share.TopicPartition), lazy));
        }

        share.SignalAvailable();
    }

    private void OnLeadershipChange(LeadershipChange change)
    {
        foreach (var (key, lazy) in _partitions)
        {
            if (key.Partition == change.Partition && Loaded(lazy) is { } share && (!change.IsLeader || share.LeaderEpoch != change.LeaderEpoch))
            {
                Retire(share);
            }
        }
    }

    private void ExpireLocks()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var ((group, _), lazy) in _partitions)
        {
            if (Loaded(lazy) is not { } share)
            {
                continue;
            }

            ShareGroupSettings settings;
            var archived = new List<ArchivedRecord>();
            long version;
            lock (share.Gate)
            {
                if (share.State.NextExpiryMs > now)
                {
                    continue;
                }

                settings = _settings(group);
                if (share.State.ExpireLocks(now, settings.DeliveryCountLimit, archived) == 0)
                {
                    continue;
                }

                version = share.MarkChanged();
            }

            share.SignalAvailable();
            if (archived.Count > 0)
            {
                _ = CompleteAsync(share, group, settings, archived, version, CancellationToken.None).ContinueWith(
                    t => _logger.LogError(t.Exception, "Share-partition {Key}: persisting expired locks failed", share.Key),
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted,
                    TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Reads from the share-partition's end offset, in chunks of at most <see cref="ReadChunkBytes"/> and
    /// <paramref name="maxBytes"/> in all, and brings what it finds into the window: records acquired for
    /// <paramref name="memberId"/> — whole batches while fewer than <paramref name="room"/> records are acquired (the
    /// limit is soft, as in Kafka: a batch is not split, so it is not sent twice), never more than
    /// <paramref name="maxWindow"/> offsets in flight — and offsets without a record, control records and, under
    /// read_committed, aborted records skipped as archived. Call under the share-partition's gate.
    /// </summary>
    private static void AcquireNew(SharePartition share, Partition partition, string memberId, int room, int maxWindow, int maxBytes, bool readCommitted, long deadline, List<AcquiredRange> acquired, BatchCollector batches)
    {
        var state = share.State;
        var isolation = readCommitted ? FetchIsolation.TransactionCommitted : FetchIsolation.HighWatermark;
        var aborted = new AbortedTracker();
        var budget = Math.Max(maxBytes, 1);
        while (room > 0 && state.WindowSize < maxWindow && budget > 0)
        {
            var from = state.EndOffset;
            var read = partition.Read(new PartitionFetch(from, Math.Min(budget, ReadChunkBytes), -1, MinOneBatch: true, isolation));
            if (read.Error != ErrorCode.None || read.Records.IsEmpty)
            {
                return;
            }

            aborted.Add(read.AbortedTransactions);
            var bytes = read.Records.ToArray();
            budget -= bytes.Length;
            foreach (var (header, batch) in RecordBatches.In(bytes))
            {
                if (room <= 0 || state.WindowSize >= maxWindow)
                {
                    break;
                }

                if (header.LastOffset < state.EndOffset)
                {
                    continue;
                }

                if (header.BaseOffset > state.EndOffset)
                {
                    state.SkipNew(header.BaseOffset - 1);
                }

                if (aborted.IsSkipped(header))
                {
                    state.SkipNew(header.LastOffset);
                    continue;
                }

                var last = Math.Min(header.LastOffset, state.EndOffset + (maxWindow - state.WindowSize) - 1);
                var range = state.AcquireNew(memberId, last, deadline);
                room -= (int)(range.LastOffset - range.FirstOffset + 1);
                acquired.Add(range);
                batches.Add(header.BaseOffset, batch);
            }

            if (state.EndOffset == from)
            {
                return;
            }
        }
    }

    /// <summary>Adds the batches holding [<paramref name="first"/>, <paramref name="last"/>] (a redelivery) to <paramref name="batches"/>.</summary>
    private static void ReadBatches(Partition partition, long first, long last, int maxBytes, BatchCollector batches)
    {
        var next = first;
        while (next <= last)
        {
            var read = partition.Read(new PartitionFetch(next, Math.Clamp(maxBytes, 1, ReadChunkBytes), -1, MinOneBatch: true, FetchIsolation.LogEnd));
            if (read.Error != ErrorCode.None || read.Records.IsEmpty)
            {
                return;
            }

            var progressed = false;
            foreach (var (header, batch) in RecordBatches.In(read.Records.ToArray()))
            {
                if (next > last)
                {
                    break;
                }

                if (header.LastOffset >= next)
                {
                    batches.Add(header.BaseOffset, batch);
                    next = header.NextOffset;
                    progressed = true;
                }
            }

            if (!progressed)
            {
                return;
            }
        }
    }

    private List<DeadLetter> ReadDeadLetters(TopicPartition topicPartition, List<ArchivedRecord> archived)
    {
        var letters = new List<DeadLetter>(archived.Count);
        var partition = _replicas.GetPartition(topicPartition);
        var wanted = archived.ToDictionary(a => a.Offset);
        if (partition is null)
        {
            return letters;
        }

        var next = archived.Min(a => a.Offset);
        var last = archived.Max(a => a.Offset);
        while (next <= last)
        {
            var read = partition.Read(new PartitionFetch(next, 1 << 20, -1, MinOneBatch: true, FetchIsolation.LogEnd));
            if (read.Error != ErrorCode.None || read.Records.IsEmpty)
            {
                break;
            }

            var start = next;
            foreach (var (header, batch) in RecordBatches.In(read.Records.ToArray()))
            {
                if (!header.IsControl && header.LastOffset >= next && RecordBatchReader.TryOpen(batch.Span, MaxDecompressedBytes, out var reader) == RecordBatchError.None)
                {
                    using (reader)
                    {
                        foreach (var record in reader)
                        {
                            if (wanted.TryGetValue(record.Offset, out var why))
                            {
                                letters.Add(DeadLetter.From(record, why));
                            }
                        }
                    }
                }

                next = Math.Max(next, header.NextOffset);
            }

            if (next == start)
            {
                break;
            }
        }

        return letters;
    }

    /// <summary>Aborted transactions of read_committed reads, consumed in offset order (as a consumer does); a transaction several reads report is counted once.</summary>
    private sealed class AbortedTracker
    {
        private readonly PriorityQueue<AbortedTransaction, long> _pending = new();
        private readonly HashSet<(long, long)> _seen = [];
        private readonly HashSet<long> _open = [];

        public void Add(IReadOnlyList<AbortedTransaction>? aborted)
        {
            foreach (var transaction in aborted ?? [])
            {
                if (_seen.Add((transaction.ProducerId, transaction.FirstOffset)))
                {
                    _pending.Enqueue(transaction, transaction.FirstOffset);
                }
            }
        }

        /// <summary>Whether the batch is a control batch or one of an aborted transaction (both are archived, never delivered).</summary>
        public bool IsSkipped(in RecordBatchHeader header)
        {
            while (_pending.TryPeek(out var next, out _) && next.FirstOffset <= header.LastOffset)
            {
                _open.Add(_pending.Dequeue().ProducerId);
            }

            if (header.IsControl)
            {
                _open.Remove(header.ProducerId);
                return true;
            }

            return header.IsTransactional && _open.Contains(header.ProducerId);
        }
    }
}

/// <summary>One acknowledgement batch as the share APIs carry it.</summary>
public readonly record struct AcknowledgementBatch(long FirstOffset, long LastOffset, IReadOnlyList<sbyte> Types);

/// <summary>The outcome of <see cref="SharePartitionManager.AcquireAsync"/> for one partition.</summary>
public readonly record struct ShareFetchResult(ErrorCode Error, byte[]? Records, IReadOnlyList<AcquiredRange> Acquired, int LeaderEpoch)
{
    public static ShareFetchResult Failed(ErrorCode error) => new(error, null, [], -1);
}

/// <summary>A share-partition could not be loaded (its state is unreachable or fenced).</summary>
internal sealed class ShareStateException(ErrorCode error) : Exception($"Share state unavailable: {error}")
{
    public ErrorCode Error { get; } = error;
}
