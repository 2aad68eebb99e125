using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// The replica-set arithmetic of a partition reassignment (KIP-455), on immutable <see cref="PartitionImage"/>s:
/// <list type="bullet">
/// <item><see cref="Start"/>: from the original replicas O to the target T, the replicas become T followed by O − T
/// (every replica that holds or will hold data), adding = T − O, removing = O − T; the ISR is unchanged.</item>
/// <item><see cref="Revert"/>: back to O (the replicas without the adding ones), ISR ∩ O — or, when no in-sync replica
/// is original, ISR = [O's first], which is an unclean election the caller must allow.</item>
/// <item><see cref="Finish"/>, after any change to a partition: completes its reassignment once every adding replica is
/// in the ISR (replicas = T, ISR = ISR ∩ T, adding and removing cleared; not while ISR ∩ T would be empty), then
/// elects the first live in-sync replica in replica order when there is no leader or it is no longer a live in-sync
/// replica, and bumps
/// the epochs: the partition epoch always, the leader epoch when the leader changed.</item>
/// </list>
/// A new target for a partition already being reassigned starts from its original replicas (the previous reassignment
/// is reverted first), as KRaft does. Thread-safety: stateless.
/// </summary>
public static class PartitionReassignment
{
    /// <summary>Null when <paramref name="target"/> names distinct registered brokers, else why not (INVALID_REPLICA_ASSIGNMENT).</summary>
    public static string? Validate(MetadataImage image, IReadOnlyList<int> target)
    {
        if (target.Count == 0)
        {
            return "The replica assignment is empty.";
        }

        if (target.Distinct().Count() != target.Count)
        {
            return $"The replica assignment [{string.Join(", ", target)}] names a broker more than once.";
        }

        return target.Where(id => !image.Brokers.ContainsKey(id)).Select(id => (int?)id).FirstOrDefault() is { } unknown
            ? $"The replica assignment names broker {unknown}, which is not registered."
            : null;
    }

    /// <summary>
    /// <paramref name="partition"/> (already reverted to its original replicas, see <see cref="Revert"/>) with a
    /// reassignment to <paramref name="target"/> begun; the same replicas reordered is no reassignment, just a new order.
    /// </summary>
    public static PartitionImage Start(PartitionImage partition, ImmutableArray<int> target)
    {
        var original = partition.Replicas;
        var adding = target.Where(r => !original.Contains(r)).ToImmutableArray();
        var removing = original.Where(r => !target.Contains(r)).ToImmutableArray();
        return partition with { Replicas = [.. target, .. removing], AddingReplicas = adding, RemovingReplicas = removing };
    }

    /// <summary>
    /// <paramref name="partition"/> with its reassignment undone (itself when none is in progress). <c>Unclean</c> is
    /// true when no in-sync replica is an original one, so the ISR had to be reset to the first original replica.
    /// </summary>
    public static (PartitionImage Partition, bool Unclean) Revert(PartitionImage partition)
    {
        if (!partition.IsReassigning)
        {
            return (partition, false);
        }

        var original = partition.OriginalReplicas;
        var isr = partition.Isr.Where(original.Contains).ToImmutableArray();
        var unclean = isr.IsEmpty;
        return (partition with { Replicas = original, Isr = unclean ? [original[0]] : isr, AddingReplicas = [], RemovingReplicas = [] }, unclean);
    }

    /// <summary>
    /// <paramref name="proposed"/> (a change to <paramref name="before"/>, epochs not yet bumped unless the caller
    /// elected a leader itself) with its reassignment completed if it can be, a leader that is a live in-sync replica
    /// (or none, -1), and its epochs bumped.
    /// </summary>
    public static PartitionImage Finish(MetadataImage image, PartitionImage before, PartitionImage proposed)
    {
        var result = TryComplete(proposed);
        var leader = result.Leader;
        if (leader == -1 || !result.Isr.Contains(leader) || !result.Replicas.Contains(leader) || !image.IsLive(leader))
        {
            leader = PartitionLeaderElection.FirstLive(image, result.Replicas, result.Isr);
        }

        var leaderEpoch = leader != before.Leader && result.LeaderEpoch == before.LeaderEpoch ? before.LeaderEpoch + 1 : result.LeaderEpoch;
        return result with { Leader = leader, LeaderEpoch = leaderEpoch, PartitionEpoch = before.PartitionEpoch + 1 };
    }

    /// <summary><paramref name="partition"/> with its reassignment completed when every adding replica is in sync; else itself.</summary>
    public static PartitionImage TryComplete(PartitionImage partition)
    {
        if (!partition.IsReassigning || partition.AddingReplicas.Any(r => !partition.Isr.Contains(r)))
        {
            return partition;
        }

        var target = partition.TargetReplicas;
        var isr = partition.Isr.Where(target.Contains).ToImmutableArray();
        return isr.IsEmpty
            ? partition
            : partition with { Replicas = target, Isr = isr, AddingReplicas = [], RemovingReplicas = [] };
    }
}
