using System.Collections.Immutable;
using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>What a hosted partition does for clients.</summary>
public enum PartitionRole
{
    /// <summary>Created, no transition yet: serves nothing.</summary>
    None,

    /// <summary>Leads at <see cref="PartitionLeadership.LeaderEpoch"/>: serves appends and reads.</summary>
    Leader,

    /// <summary>Another broker (or none) leads: holds the log, answers NOT_LEADER_OR_FOLLOWER.</summary>
    Follower,

    /// <summary>The metadata could not be applied: answers KAFKA_STORAGE_ERROR until a transition succeeds.</summary>
    Offline,

    /// <summary>Removed from this broker (topic deleted or replica moved away); its log is deleted.</summary>
    Stopped,
}

/// <summary>
/// A partition's role and the metadata it was given with it: the leader's node id (-1: none), the leader epoch, the
/// partition epoch, the replicas and the in-sync replicas. Immutable.
/// </summary>
public sealed record PartitionLeadership(PartitionRole Role, int LeaderId, int LeaderEpoch, int PartitionEpoch, ImmutableArray<int> Replicas, ImmutableArray<int> Isr)
{
    /// <summary>Before any transition.</summary>
    public static PartitionLeadership Initial { get; } = new(PartitionRole.None, -1, -1, -1, [], []);
}

/// <summary>Which offsets a read may return (Kafka's <c>FetchIsolation</c>).</summary>
public enum FetchIsolation
{
    /// <summary>read_uncommitted: below the high watermark.</summary>
    HighWatermark,

    /// <summary>read_committed: below the last stable offset, with the aborted transactions of the range.</summary>
    TransactionCommitted,

    /// <summary>Up to the log end: a coordinator replaying its partition when it becomes leader (what it holds will be committed by its term).</summary>
    LogEnd,
}

/// <summary>What a read asks of one partition (Kafka's <c>FetchRequest.PartitionData</c> with the fetch's isolation).</summary>
/// <param name="FetchOffset">The first offset wanted.</param>
/// <param name="MaxBytes">At most this many bytes (but see <paramref name="MinOneBatch"/>).</param>
/// <param name="CurrentLeaderEpoch">The leader epoch the client believes current; -1 skips the check.</param>
/// <param name="MinOneBatch">Return the first batch whole even when it exceeds <paramref name="MaxBytes"/> (KIP-74).</param>
/// <param name="Isolation">read_uncommitted or read_committed.</param>
/// <param name="MaxOffset">Stop before this offset even when more is readable (a coordinator replaying up to where it started).</param>
public readonly record struct PartitionFetch(
    long FetchOffset,
    int MaxBytes,
    int CurrentLeaderEpoch = -1,
    bool MinOneBatch = true,
    FetchIsolation Isolation = FetchIsolation.HighWatermark,
    long MaxOffset = long.MaxValue);

/// <summary>
/// The outcome of <see cref="Partition.Read"/>: an error code, the records (a slice of a segment file, valid until
/// retention deletes it), the partition's high watermark, last stable offset and log start offset (-1 when the
/// partition refused the read), and for read_committed the aborted transactions overlapping the records (null
/// otherwise).
/// </summary>
public readonly record struct PartitionFetchResult(
    ErrorCode Error,
    LogFileSlice Records,
    long HighWatermark,
    long LastStableOffset,
    long LogStartOffset,
    IReadOnlyList<AbortedTransaction>? AbortedTransactions)
{
    public static PartitionFetchResult Failed(ErrorCode error) => new(error, LogFileSlice.Empty, -1, -1, -1, null);
}

/// <summary>The outcome of <see cref="Partition.FetchOffsetForTimestamp"/>: offset and timestamp -1 when none matches.</summary>
public readonly record struct OffsetLookup(ErrorCode Error, long Timestamp, long Offset, int LeaderEpoch);

/// <summary>
/// A change of this broker's leadership of one partition, raised by <see cref="ReplicaManager.WatchLeadership"/>.
/// <see cref="IsLeader"/> true: this broker leads <see cref="Partition"/> from <see cref="LeaderEpoch"/> on and
/// accepts appends at that epoch. False: it stopped leading — <see cref="LeaderEpoch"/> is then the epoch of the new
/// leader (another broker, or none), or the last epoch it led when the partition was stopped, deleted or went offline.
/// A consumer compares epochs to ignore a stale change.
/// </summary>
public readonly record struct LeadershipChange(TopicPartition Partition, bool IsLeader, int LeaderEpoch);

/// <summary>ListOffsets' special timestamps (Kafka's <c>ListOffsetsRequest</c> constants), as <see cref="Partition.FetchOffsetForTimestamp"/> reads them.</summary>
public static class ListOffsetsTimestamp
{
    /// <summary>The log start offset.</summary>
    public const long Earliest = Log.EarliestTimestamp;

    /// <summary>The high watermark (the last stable offset for read_committed).</summary>
    public const long Latest = Log.LatestTimestamp;

    /// <summary>The record with the largest timestamp (KIP-734).</summary>
    public const long MaxTimestamp = Log.MaxTimestampQuery;
}
