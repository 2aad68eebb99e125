using Wharf.Common;
using Wharf.Metadata;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// How Metadata and DescribeTopicPartitions report one partition: LEADER_NOT_AVAILABLE when it has no leader, or when
/// this broker should lead it but does not (not opened yet, its metadata could not be applied, leadership suspended);
/// offline replicas are those on brokers that are not live. Thread-safety: stateless.
/// </summary>
internal static class PartitionState
{
    public static ErrorCode ErrorOf(MetadataImage image, string topic, PartitionImage partition, ReplicaManager replicas)
    {
        var available = partition.Leader >= 0 && partition.Leader != image.NodeId
            || replicas.GetPartition(new TopicPartition(topic, partition.Partition)) is { IsLeader: true };
        return available ? ErrorCode.None : ErrorCode.LeaderNotAvailable;
    }

    public static List<int> OfflineReplicas(MetadataImage image, PartitionImage partition) =>
        [.. partition.Replicas.Where(r => !image.IsLive(r))];
}
