using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// The partition changes a broker's fencing or return implies, as the controller elects leaders: only from the ISR
/// (no unclean election), preferring the replica order (the first replica is the preferred leader), and every
/// change bumps the leader epoch and the partition epoch, so a deposed leader is fenced by epoch everywhere.
/// <list type="bullet">
/// <item>Fenced broker: every partition it leads gets the first other ISR member that is live, or no leader (-1,
/// offline) when there is none — with replication factor 1 that is every partition it led. The fenced broker leaves
/// the ISR unless it is the last member: the last in-sync replica stays recorded so that its return can bring the
/// partition back without losing acknowledged data.</item>
/// <item>Returning broker: every offline partition whose ISR holds it gets it as leader; every partition where it is
/// the preferred replica, in the ISR, but not the leader moves back to it (<c>auto.leader.rebalance.enable</c>).</item>
/// </list>
/// Thread-safety: stateless; works on immutable images.
/// </summary>
public static class PartitionLeaderElection
{
    /// <summary>Partition records after <paramref name="brokerId"/> was fenced in <paramref name="image"/>.</summary>
    public static List<MetadataRecord> OnFenced(MetadataImage image, int brokerId)
    {
        var live = image.LiveBrokers.Select(b => b.NodeId).Where(id => id != brokerId).ToHashSet();
        var records = new List<MetadataRecord>();
        foreach (var (topic, partition) in Partitions(image))
        {
            if (partition.Leader != brokerId && !partition.Isr.Contains(brokerId))
            {
                continue;
            }

            var isr = partition.Isr.Length > 1 ? partition.Isr.Remove(brokerId) : partition.Isr;
            var leader = partition.Leader == brokerId
                ? partition.Replicas.FirstOrDefault(r => isr.Contains(r) && live.Contains(r), -1)
                : partition.Leader;
            if (leader == partition.Leader && isr.SequenceEqual(partition.Isr))
            {
                continue;
            }

            records.Add(Changed(topic, partition, isr, leader));
        }

        return records;
    }

    /// <summary>Partition records after <paramref name="brokerId"/> came back (registered, unfenced) in <paramref name="image"/>.</summary>
    public static List<MetadataRecord> OnReturned(MetadataImage image, int brokerId, bool rebalanceToPreferred)
    {
        var records = new List<MetadataRecord>();
        foreach (var (topic, partition) in Partitions(image))
        {
            if (!partition.Isr.Contains(brokerId) || partition.Leader == brokerId)
            {
                continue;
            }

            var offline = partition.Leader == -1;
            var preferred = rebalanceToPreferred && partition.Replicas[0] == brokerId;
            if (offline || preferred)
            {
                records.Add(Changed(topic, partition, partition.Isr, brokerId));
            }
        }

        return records;
    }

    private static IEnumerable<(TopicImage Topic, PartitionImage Partition)> Partitions(MetadataImage image) =>
        image.TopicsById.Values.SelectMany(t => t.Partitions.Values.Select(p => (t, p)));

    private static PartitionRecord Changed(TopicImage topic, PartitionImage partition, ImmutableArray<int> isr, int leader) =>
        new(topic.TopicId, partition.Partition, partition.Replicas, isr, leader, partition.LeaderEpoch + 1, partition.PartitionEpoch + 1);
}
