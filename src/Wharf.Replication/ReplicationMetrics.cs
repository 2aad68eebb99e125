namespace Wharf.Replication;

/// <summary>
/// Replication counters of one broker (Kafka's <c>ReplicaManager</c> metrics <c>IsrShrinksPerSec</c> and
/// <c>IsrExpandsPerSec</c>): ISR changes this broker made as leader and the controller accepted. Monotonic; read by the
/// metrics endpoint. Thread-safety: updated with interlocked increments from any thread.
/// </summary>
public sealed class ReplicationCounters
{
    private long _isrShrinks;
    private long _isrExpands;

    public long IsrShrinks => Interlocked.Read(ref _isrShrinks);

    public long IsrExpands => Interlocked.Read(ref _isrExpands);

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
/// largest lag in offsets of any follower of a partition it leads (<c>MaxLag</c>), and the ISR change counters.
/// </summary>
public readonly record struct ReplicationStats(int LeaderPartitions, int UnderReplicatedPartitions, int UnderMinIsrPartitions, int OfflinePartitions, long MaxFollowerLag, long IsrShrinks, long IsrExpands);
