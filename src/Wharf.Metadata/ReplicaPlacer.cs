using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// Where new partitions' replicas go (CreateTopics, CreatePartitions, auto-create), as Kafka places them: brokers
/// are ordered so that consecutive ones are on different racks where racks allow (rack A's first broker, rack B's
/// first, rack C's first, rack A's second, …; brokers without a rack form one rack), then partition p's replicas
/// start at p of that order and continue from p+shift, where the shift grows every time the partitions wrap around
/// the brokers, so that followers spread too; a follower skips brokers on racks the partition already uses until
/// every rack has a replica. Replicas of one partition are distinct and, with enough racks, on
/// distinct racks; leaders (the first replica) spread evenly. Deterministic: the same brokers and partition numbers
/// give the same placement. Thread-safety: stateless.
/// </summary>
public static class ReplicaPlacer
{
    /// <summary>
    /// Replicas of partitions <paramref name="firstPartition"/> to <paramref name="firstPartition"/> +
    /// <paramref name="count"/> − 1 over <paramref name="brokers"/> (live brokers only; the caller checked that
    /// there are at least <paramref name="replicationFactor"/>).
    /// </summary>
    public static List<ImmutableArray<int>> Place(IReadOnlyList<BrokerRegistration> brokers, int firstPartition, int count, int replicationFactor)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, brokers.Count);
        var order = RackAlternating(brokers);
        var rackOf = brokers.ToDictionary(b => b.NodeId, b => b.Rack ?? "");
        var rackCount = rackOf.Values.Distinct(StringComparer.Ordinal).Count();
        var n = order.Count;
        var placement = new List<ImmutableArray<int>>(count);
        for (var p = firstPartition; p < firstPartition + count; p++)
        {
            var first = p % n;
            var shift = n > 1 ? 1 + (p / n % (n - 1)) : 0;
            var replicas = new List<int>(replicationFactor) { order[first] };
            var racks = new HashSet<string>(StringComparer.Ordinal) { rackOf[order[first]] };
            for (var r = 1; r < replicationFactor; r++)
            {
                // The next broker in the shifted order that is not a replica yet and, until every rack has one, on a
                // rack without one.
                var start = first + shift + r - 1;
                var next = Enumerable.Range(0, n).Select(k => order[(start + k) % n])
                    .Where(id => !replicas.Contains(id))
                    .OrderBy(id => racks.Count < rackCount && racks.Contains(rackOf[id]) ? 1 : 0)
                    .First();
                replicas.Add(next);
                racks.Add(rackOf[next]);
            }

            placement.Add([.. replicas]);
        }

        return placement;
    }

    /// <summary>Node ids ordered rack by rack in turn (racks and brokers within a rack by name and id).</summary>
    private static List<int> RackAlternating(IReadOnlyList<BrokerRegistration> brokers)
    {
        var racks = brokers
            .GroupBy(b => b.Rack ?? "", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Select(b => b.NodeId).Order().ToList())
            .ToList();
        var order = new List<int>(brokers.Count);
        for (var i = 0; order.Count < brokers.Count; i++)
        {
            foreach (var rack in racks.Where(r => i < r.Count))
            {
                order.Add(rack[i]);
            }
        }

        return order;
    }
}
