namespace Wharf.Replication;

/// <summary>
/// Replication counters of one broker (Kafka's <c>ReplicaManager</c> metrics <c>IsrShrinksPerSec</c> and
/// <c>IsrExpandsPerSec</c>): ISR changes this broker made as leader and the controller accepted, monotonic; and the
/// purgatory sizes (Kafka's <c>PurgatorySize</c> of Produce and Fetch): acks=all produces waiting for the high
/// watermark, and fetches (consumers' and followers') long-polling for data, at this moment. Read by the metrics
/// endpoint. Thread-safety: updated with interlocked operations from any thread.
/// </summary>
public sealed class ReplicationCounters
{
    private long _isrShrinks;
    private long _isrExpands;
    private long _parkedProduces;
    private long _parkedFetches;

    public long IsrShrinks => Interlocked.Read(ref _isrShrinks);

    public long IsrExpands => Interlocked.Read(ref _isrExpands);

    /// <summary>acks=all produce waits parked on a high watermark now (one per partition of a request).</summary>
    public long ParkedProduces => Interlocked.Read(ref _parkedProduces);

    /// <summary>Fetch requests long-polling for data now.</summary>
    public long ParkedFetches => Interlocked.Read(ref _parkedFetches);

    internal void ProduceParked(int delta) => Interlocked.Add(ref _parkedProduces, delta);

    internal void FetchParked(int delta) => Interlocked.Add(ref _parkedFetches, delta);

    internal void CountIsrChange(int before, int after)
    {
        if (after < before)
        {
            Interlocked.Increment(ref _isrShrinks);
        }
        else if (after > before)
        {
            Interlocked.Increment(ref _isrExpands);
        }
    }
}

/// <summary>
/// A broker's replication state at one moment (Kafka's gauges): partitions it leads with fewer in-sync replicas than
/// replicas (<c>UnderReplicatedPartitions</c>) or than <c>min.insync.replicas</c> (<c>UnderMinIsrPartitionCount</c>),
/// partitions of the metadata with no leader (<c>OfflinePartitionsCount</c>) plus hosted ones that cannot serve, the
/// largest lag in offsets of any follower of a partition it leads (<c>MaxLag</c>), the ISR change counters and the
/// purgatory sizes.
/// </summary>
public readonly record struct ReplicationStats(int LeaderPartitions, int UnderReplicatedPartitions, int UnderMinIsrPartitions, int OfflinePartitions, long MaxFollowerLag, long IsrShrinks, long IsrExpands, long ParkedProduces = 0, long ParkedFetches = 0);
