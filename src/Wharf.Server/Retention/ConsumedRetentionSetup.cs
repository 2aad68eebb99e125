using Microsoft.Extensions.Logging;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Server.Share;

namespace Wharf.Server.Retention;

/// <summary>
/// Wires removal once consumed (<c>retention.consumed.groups</c>) into the broker: the group-progress sources, one per
/// group type, and the <see cref="ConsumedOffsetTracker"/> over them that the retention pass reads. Thread-safety:
/// stateless.
/// </summary>
public static class ConsumedRetentionSetup
{
    /// <summary>
    /// The composition point of group types, in the order the tracker asks them (the first answer wins; each answers
    /// only for its own groups, see <see cref="IGroupProgressSource"/>): classic consumer groups by their committed offsets,
    /// then KIP-932 share groups by their share-partitions' start offsets.
    /// </summary>
    public static IReadOnlyList<IGroupProgressSource> GroupProgressSources(GroupCoordinator groups, IShareStatePersister shares, Controller controller, BrokerConnectionPool connections, ILoggerFactory loggerFactory) =>
    [
        new ClassicGroupProgressSource(groups, () => controller.Current, connections, loggerFactory.CreateLogger<ClassicGroupProgressSource>()),
        new ShareGroupProgressSource(shares, () => controller.Current),
    ];

    /// <summary>
    /// A started tracker for the partitions this broker leads, refreshed every <c>log.retention.check.interval.ms</c> so
    /// that each retention pass sees positions at most one interval old.
    /// </summary>
    public static ConsumedOffsetTracker Start(BrokerConfig config, Controller controller, ReplicaManager replicas, IReadOnlyList<IGroupProgressSource> sources, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var tracker = new ConsumedOffsetTracker(
            () => controller.Current,
            controller.TopicConfigs,
            partition => replicas.GetPartition(partition) is { IsLeader: true } led ? led.HighWatermark : null,
            sources,
            loggerFactory.CreateLogger<ConsumedOffsetTracker>());
        tracker.Start(time, TimeSpan.FromMilliseconds(config.LogRetentionCheckIntervalMs));
        return tracker;
    }
}
