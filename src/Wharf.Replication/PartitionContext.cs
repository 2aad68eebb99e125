using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wharf.Replication;

/// <summary>
/// What every hosted <see cref="Partition"/> shares: the clock, the way to the controller for ISR changes, and the
/// replication settings. Immutable; one per <see cref="ReplicaManager"/>.
/// </summary>
/// <param name="Time">The clock of follower fetch times and ISR lag.</param>
/// <param name="AlterPartition">Sends ISR changes to the controller; null on a node that never has other replicas
/// (the ISR then only changes through the metadata).</param>
/// <param name="ReplicaLagTimeMax"><c>replica.lag.time.max.ms</c>: a follower that has not caught up to the leader's
/// log end for this long leaves the ISR.</param>
/// <param name="Logger">Where ISR changes are reported.</param>
public sealed record PartitionContext(TimeProvider Time, IAlterPartitionSender? AlterPartition, TimeSpan ReplicaLagTimeMax, ILogger Logger)
{
    /// <summary>Kafka's default <c>replica.lag.time.max.ms</c>.</summary>
    public static readonly TimeSpan DefaultReplicaLagTimeMax = TimeSpan.FromSeconds(30);

    /// <summary>A single node's context: system clock, no controller to ask, nothing logged.</summary>
    public static PartitionContext Standalone { get; } = new(TimeProvider.System, null, DefaultReplicaLagTimeMax, NullLogger.Instance);

    /// <summary>The broker's ISR change counters.</summary>
    public ReplicationCounters Counters { get; } = new();

    /// <summary>How long an ISR proposal refused as stale waits before it is tried again (the metadata usually arrives first).</summary>
    public TimeSpan ProposalRetryBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
}
