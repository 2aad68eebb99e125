using Wharf.Metadata;
using Wharf.Replication;

namespace Wharf.Server;

/// <summary>
/// Feeds every metadata image change to <see cref="ReplicaManager.ApplyDelta"/> with the topics' log settings as the
/// new image defines them (overrides over broker keys, <see cref="LogConfigs"/>). Called on start and on every image
/// change (under the controller's write lock, so changes arrive in order). Thread-safety: stateless.
/// </summary>
public sealed class PartitionSync(ReplicaManager replicas, Controller controller)
{
    public void Apply(MetadataImage before, MetadataImage after) =>
        replicas.ApplyDelta(before, after, topic => LogConfigs.For(controller.TopicConfigs, after.GetTopicConfigs(topic)));
}
