using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// The partition changes a broker's fencing or return implies, as the controller elects leaders: from the ISR,
/// preferring the replica order (the first replica is the preferred leader), and — only for topics with
/// <c>unclean.leader.election.enable</c> — from the live replicas outside the ISR when no in-sync replica is live.
/// Every change bumps the partition epoch, and every change of leader the leader epoch, so a deposed leader is fenced
/// by epoch everywhere; an ISR change alone keeps the leader's term (its followers' fetches and the producers it is
/// acknowledging carry on), as in KRaft.
/// <list type="bullet">
/// <item>Fenced broker: every partition it leads gets the first other ISR member that is live. When there is none,
/// with unclean election the first live replica becomes leader with ISR = [it] (records only the lost ISR held are
/// gone); without, the partition has no leader (-1, offline) — with replication factor 1 that is every partition it
/// led. The fenced broker leaves the ISR unless it is the last member: the last in-sync replica stays recorded so that
/// its return can bring the partition back without losing acknowledged data.</item>
/// <item>Returning broker: every offline partition whose ISR holds it gets it as leader, and, with unclean election,
/// every offline partition it is a replica of (ISR = [it]); every partition where it is the preferred replica, in the
/// ISR, but not the leader moves back to it (<c>auto.leader.rebalance.enable</c>).</item>
/// </list>
/// Thread-safety: stateless; works on immutable images.
/// </summary>
public static class PartitionLeaderElection
{
    /// <summary>
    /// Partition records after <paramref name="brokerId"/> was fenced in <paramref name="image"/>;
    /// <paramref name="uncleanElection"/> tells whether a topic allows unclean leader election (asked only for partitions
    /// left without a live in-sync replica).
    /// </summary>
    public static List<MetadataRecord> OnFenced(MetadataImage image, int brokerId, Func<TopicImage, bool> uncleanElection)
    {
        var records = new List<MetadataRecord>();
        foreach (var (topic, partition) in Partitions(image))
        {
            if (partition.Leader != brokerId && !partition.Isr.Contains(brokerId))
            {
                continue;
            }

            var isr = partition.Isr.Length > 1 ? partition.Isr.Remove(brokerId) : partition.Isr;
            var leader = partition.Leader;
            if (partition.Leader == brokerId)
            {
                leader = FirstLive(image, partition.Replicas, isr);
                if (leader == -1 && uncleanElection(topic) && FirstLive(image, partition.Replicas, partition.Replicas) is var unclean and not -1)
                {
                    leader = unclean;
                    isr = [unclean];
                }
            }

            if (leader == partition.Leader && isr.SequenceEqual(partition.Isr))
            {
                continue;
            }

            records.Add(Changed(image, topic, partition, isr, leader));
        }

        return records;
    }

    /// <summary>Partition records after <paramref name="brokerId"/> came back (registered, unfenced) in <paramref name="image"/>.</summary>
    public static List<MetadataRecord> OnReturned(MetadataImage image, int brokerId, bool rebalanceToPreferred, Func<TopicImage, bool> uncleanElection)
    {
        var records = new List<MetadataRecord>();
        foreach (var (topic, partition) in Partitions(image))
        {
            if (partition.Leader == brokerId || !partition.Replicas.Contains(brokerId))
            {
                continue;
            }

            var offline = partition.Leader == -1;
            if (!partition.Isr.Contains(brokerId))
            {
                if (offline && uncleanElection(topic))
                {
                    records.Add(Changed(image, topic, partition, [brokerId], brokerId));
                }

                continue;
            }

            var preferred = rebalanceToPreferred && partition.Replicas[0] == brokerId;
            if (offline || preferred)
            {
                records.Add(Changed(image, topic, partition, partition.Isr, brokerId));
            }
        }

        return records;
    }

    /// <summary>The first of <paramref name="replicas"/> (preference order) that is in <paramref name="candidates"/> and live; -1 when none is.</summary>
    public static int FirstLive(MetadataImage image, ImmutableArray<int> replicas, ImmutableArray<int> candidates) =>
        replicas.FirstOrDefault(r => candidates.Contains(r) && image.IsLive(r), -1);

    private static IEnumerable<(TopicImage Topic, PartitionImage Partition)> Partitions(MetadataImage image) =>
        image.TopicsById.Values.SelectMany(t => t.Partitions.Values.Select(p => (t, p)));

    /// <summary>The record of <paramref name="partition"/> with a new ISR and leader (a reassignment it allows completes too).</summary>
    private static PartitionRecord Changed(MetadataImage image, TopicImage topic, PartitionImage partition, ImmutableArray<int> isr, int leader) =>
        PartitionReassignment.Finish(image, partition, partition with { Isr = isr, Leader = leader }).ToRecord(topic.TopicId);
}
