using Wharf.Common;
using Wharf.Metadata;
using Wharf.Replication;

namespace Wharf.Server;

/// <summary>
/// Keeps the partitions this broker hosts in step with the metadata image: deletes the logs of removed topics
/// (first, so a topic deleted and re-created under the same name starts empty), applies topic config changes to
/// open logs, and leads every partition whose leader is this node. Called on start and on every image change
/// (under the controller's write lock, so changes arrive in order).
/// </summary>
public sealed class PartitionSync(ReplicaManager replicas, Controller controller)
{
    public void Apply(MetadataImage before, MetadataImage after)
    {
        foreach (var topic in before.TopicsByName.Values)
        {
            if (after.TryGetTopic(topic.Name, out var current) && current.TopicId == topic.TopicId)
            {
                continue;
            }

            foreach (var partition in topic.Partitions.Keys)
            {
                replicas.DeletePartition(new TopicPartition(topic.Name, partition));
            }
        }

        foreach (var topic in after.TopicsByName.Values)
        {
            var overrides = after.GetTopicConfigs(topic.Name);
            var config = LogConfigs.For(controller.TopicConfigs, overrides);
            if (before.TryGetTopic(topic.Name, out _) && !ReferenceEquals(before.GetTopicConfigs(topic.Name), overrides))
            {
                replicas.Logs.UpdateTopicConfig(topic.Name, config);
            }

            foreach (var partition in topic.Partitions.Values)
            {
                if (partition.Leader == after.NodeId)
                {
                    replicas.BecomeLeader(new TopicPartition(topic.Name, partition.Partition), partition.LeaderEpoch, config);
                }
            }
        }
    }
}
