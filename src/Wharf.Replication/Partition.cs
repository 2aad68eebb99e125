using System.Collections.Immutable;
using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>
/// One partition hosted by this broker, and the only way into it (Kafka's <c>Partition</c>, Redpanda's
/// <c>partition_proxy</c>): handlers read, append, look up offsets, delete records and describe through it and never
/// touch its <see cref="Storage.Log"/>. Every operation checks the partition's role and the leader epoch the request
/// names in one place (<see cref="CheckLeaderEpoch"/>), as Kafka's <c>Partition.getLocalLog</c> does.
/// <para>
/// Its role follows the metadata image: <see cref="ReplicaManager"/> calls <see cref="MakeLeader"/> when the image
/// names this broker leader at a leader epoch and <see cref="MakeFollower"/> when it names another broker (or none);
/// <see cref="MarkOffline"/> when the image could not be applied to it, <see cref="Stop"/> when it is removed. Only
/// a leader serves clients; a follower holds its log and its state (replication fetches come with issue 15) and
/// answers NOT_LEADER_OR_FOLLOWER; an offline partition answers KAFKA_STORAGE_ERROR.
/// </para>
/// <para>
/// Replicas: the high watermark is the minimum over the in-sync replicas of their <i>durable</i> log ends (see
/// Partition.Replicas.cs) — an offset is exposed to consumers only once every in-sync replica has it on disk (fsync'd
/// under <c>log.flush.mode=ack</c>), so a consumer never reads a record that a crash or a failover could take back. A
/// new leader exposes nothing more until its followers have fetched it. Followers replicate through
/// Partition.Follower.cs.
/// </para>
/// <para>Invariants: the high watermark never moves backwards and never passes the log end offset; the leader epoch
/// never moves backwards (an older epoch from a stale image is ignored); no batch is stamped with a leader epoch
/// after the partition has left it.</para>
/// <para>
/// Thread-safety: every member is safe from any thread. <see cref="Leadership"/> is an immutable snapshot swapped
/// under <c>_leadershipLock</c>; an append holds that lock across the log's synchronous append (so a transition
/// waits for it, and no append stamps an old epoch after one), never across the fsync wait. Lock order:
/// <c>Partition._leadershipLock</c> before <c>Log._writeLock</c> (docs/lock-ordering.md). The high watermark is
/// advanced with a CAS loop; <see cref="WaitForAppendAsync"/> waiters are woken by swapping a completion source.
/// </para>
/// </summary>
public sealed partial class Partition
{
    private readonly Lock _leadershipLock = new();
    private readonly Log _log;
    private PartitionLeadership _leadership;
    private long _highWatermark;
    private readonly PartitionContext _context;
    private TaskCompletionSource _appended = NewSignal();
    private TaskCompletionSource? _logEndSignal;

    /// <summary>A partition over its open log, not yet serving (<see cref="PartitionRole.None"/>) until a transition.</summary>
    /// <param name="topicPartition">Which partition.</param>
    /// <param name="log">Its log; owned by the <see cref="LogManager"/>, which closes or deletes it.</param>
    /// <param name="localBrokerId">This broker's node id.</param>
    /// <param name="context">Clock, controller and settings shared by the broker's partitions (default: a single node's).</param>
    /// <param name="topicId">The topic's id in the metadata.</param>
    public Partition(TopicPartition topicPartition, Log log, int localBrokerId, PartitionContext? context = null, Guid topicId = default)
    {
        TopicPartition = topicPartition;
        LocalBrokerId = localBrokerId;
        TopicId = topicId;
        _log = log;
        _context = context ?? PartitionContext.Standalone;
        _highWatermark = log.LogStartOffset;
        _leadership = PartitionLeadership.Initial;
    }

    public TopicPartition TopicPartition { get; }

    /// <summary>This broker's node id.</summary>
    public int LocalBrokerId { get; }

    /// <summary>The role, leader, epochs and replica sets as last set by a transition.</summary>
    public PartitionLeadership Leadership => Volatile.Read(ref _leadership);

    public PartitionRole Role => Leadership.Role;

    public bool IsLeader => Role == PartitionRole.Leader;

    /// <summary>The current leader epoch (-1 before the first transition).</summary>
    public int LeaderEpoch => Leadership.LeaderEpoch;

    /// <summary>The in-sync replicas as the metadata last named them.</summary>
    public int InSyncReplicaCount => Leadership.Isr.Length;

    /// <summary>True when the partition cannot serve: its log failed (a failed fsync) or the image could not be applied.</summary>
    public bool IsOffline => Role == PartitionRole.Offline || _log.IsOffline;

    /// <summary>The topic's log settings (<c>max.message.bytes</c>, timestamps, compaction, …).</summary>
    public LogConfig Config => _log.Config;

    public long LogStartOffset => _log.LogStartOffset;

    public long LogEndOffset => _log.LogEndOffset;

    public long HighWatermark => Volatile.Read(ref _highWatermark);

    /// <summary>The end of what this replica holds durably (see <see cref="Log.DurableEndOffset"/>).</summary>
    public long DurableEndOffset => _log.DurableEndOffset;

    /// <summary>A task that completes once this replica holds its log durably below <paramref name="endOffset"/>.</summary>
    public Task WhenDurable(long endOffset) => _log.WhenDurable(endOffset);

    /// <summary>
    /// The last stable offset: the high watermark, or the first offset of the oldest open transaction when that is
    /// lower. read_committed consumers read below it. The high watermark is read first: the log publishes a
    /// transaction's first offset before the high watermark can pass it.
    /// </summary>
    public long LastStableOffset
    {
        get
        {
            var highWatermark = HighWatermark;
            return Math.Min(highWatermark, _log.FirstUnstableOffset ?? long.MaxValue);
        }
    }

    /// <summary>Bytes on disk (DescribeLogDirs); served in every role.</summary>
    public long Size => _log.Size;

    /// <summary>Segments of the log now (the metrics endpoint reads it).</summary>
    public int SegmentCount => _log.SegmentCount;

    /// <summary>
    /// Kafka's check of a request against this partition (KIP-320), the one place it is made: a partition whose
    /// metadata could not be applied (<see cref="MarkOffline"/>) is KAFKA_STORAGE_ERROR; a <paramref name="currentLeaderEpoch"/> below the partition's is FENCED_LEADER_EPOCH (the
    /// client is behind), above it UNKNOWN_LEADER_EPOCH (this broker is behind), -1 is not checked; then, when
    /// <paramref name="requireLeader"/>, a partition that is not the leader is NOT_LEADER_OR_FOLLOWER.
    /// </summary>
    public ErrorCode CheckLeaderEpoch(int currentLeaderEpoch, bool requireLeader = true)
    {
        // A log that failed an fsync is not checked here: it still serves what is below its recovery point and
        // refuses the rest itself (KAFKA_STORAGE_ERROR), so consumers keep the data that is safe.
        var leadership = Leadership;
        if (leadership.Role == PartitionRole.Offline)
        {
            return ErrorCode.KafkaStorageError;
        }

        if (currentLeaderEpoch >= 0 && currentLeaderEpoch != leadership.LeaderEpoch)
        {
            return currentLeaderEpoch < leadership.LeaderEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
        }

        return requireLeader && leadership.Role != PartitionRole.Leader ? ErrorCode.NotLeaderOrFollower : ErrorCode.None;
    }

    /// <summary>
    /// Becomes (or stays) leader at <paramref name="leaderEpoch"/> (Kafka's <c>makeLeader</c>): the epoch is recorded
    /// at the log end (so every later batch carries it and the epoch cache knows where it starts) and appends are
    /// accepted from then on. Returns true when this starts a new leadership term (from another role or at a newer
    /// epoch) — when coordinators must load — and false for an update of the replica sets at the same epoch or a stale
    /// epoch, which is ignored.
    /// </summary>
    /// <exception cref="LogStorageException">the epoch could not be recorded; the role is unchanged.</exception>
    public bool MakeLeader(int leaderEpoch, int partitionEpoch, ImmutableArray<int> replicas, ImmutableArray<int> isr)
    {
        bool newTerm;
        lock (_leadershipLock)
        {
            var current = _leadership;
            if (leaderEpoch < current.LeaderEpoch)
            {
                return false;
            }

            newTerm = current.Role != PartitionRole.Leader || leaderEpoch > current.LeaderEpoch;
            if (!newTerm && partitionEpoch < current.PartitionEpoch)
            {
                // An image older than the ISR change the controller already answered this leader with.
                return false;
            }

            var leadership = new PartitionLeadership(PartitionRole.Leader, LocalBrokerId, leaderEpoch, partitionEpoch, replicas, isr);
            if (newTerm)
            {
                _log.AssignLeaderEpochAtEnd(leaderEpoch);
                ResetFollowersLocked(leadership);
            }
            else
            {
                SettlePendingLocked(current, partitionEpoch);
            }

            Volatile.Write(ref _leadership, leadership);
            MaybeIncrementHighWatermark();
        }

        // What the log holds beyond its last fsync (if anything) counts once it is durable.
        if (_log.DurableEndOffset < _log.LogEndOffset)
        {
            _ = _log.WhenDurable(_log.LogEndOffset).ContinueWith(_ => MaybeIncrementHighWatermark(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return newTerm;
    }

    /// <summary>
    /// Becomes (or stays) a follower of <paramref name="leader"/> (-1: none) at <paramref name="leaderEpoch"/>
    /// (Kafka's <c>makeFollower</c>): appends are refused from then on and parked fetches are woken so they answer
    /// NOT_LEADER_OR_FOLLOWER. Returns true when this ended a leadership of this broker (coordinators must unload);
    /// a stale epoch is ignored.
    /// </summary>
    public bool MakeFollower(int leaderEpoch, int partitionEpoch, int leader, ImmutableArray<int> replicas, ImmutableArray<int> isr)
    {
        bool resigned;
        lock (_leadershipLock)
        {
            var current = _leadership;
            if (leaderEpoch < current.LeaderEpoch)
            {
                return false;
            }

            resigned = current.Role == PartitionRole.Leader;
            Volatile.Write(ref _leadership, new PartitionLeadership(PartitionRole.Follower, leader, leaderEpoch, partitionEpoch, replicas, isr));
            lock (_replicaLock)
            {
                _followers.Clear();
                _pendingIsr = default;
            }
        }

        WakeWaiters();
        return resigned;
    }

    /// <summary>
    /// Stops serving because the metadata could not be applied to it: every request answers KAFKA_STORAGE_ERROR until a
    /// later transition succeeds. Returns true when this ended a leadership.
    /// </summary>
    public bool MarkOffline() => Leave(PartitionRole.Offline);

    /// <summary>Stops serving for good (the partition was removed from this broker; its log is deleted next). Returns true when this ended a leadership.</summary>
    public bool Stop() => Leave(PartitionRole.Stopped);

    /// <summary>A task that completes at the next high watermark advance or role change.</summary>
    public Task WaitForAppendAsync() => Volatile.Read(ref _appended).Task;

    private bool Leave(PartitionRole role)
    {
        bool resigned;
        lock (_leadershipLock)
        {
            var current = _leadership;
            resigned = current.Role == PartitionRole.Leader;
            Volatile.Write(ref _leadership, current with { Role = role });
        }

        WakeWaiters();
        return resigned;
    }

    /// <summary>A role or ISR change: every waiter looks again (consumers' fetches, acks=all produces, followers' fetches).</summary>
    private void WakeWaiters()
    {
        WakeHighWatermarkWaiters();
        WakeLogEndWaiters();
    }

    /// <summary>
    /// The high watermark moved: consumers' fetches and acks=all produces look again. Followers' fetches are not woken —
    /// they wait for data, and would only re-read every partition to find none.
    /// </summary>
    private void WakeHighWatermarkWaiters() => Interlocked.Exchange(ref _appended, NewSignal()).TrySetResult();

    private void AdvanceHighWatermark(long offset)
    {
        var current = Volatile.Read(ref _highWatermark);
        while (offset > current)
        {
            var seen = Interlocked.CompareExchange(ref _highWatermark, offset, current);
            if (seen == current)
            {
                WakeHighWatermarkWaiters();
                return;
            }

            current = seen;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
