using Wharf.Coordinator.Share;

namespace Wharf.Coordinator.Tests.Share;

/// <summary>The share-group assignor: how partitions are spread over members.</summary>
public class ShareGroupAssignTests
{
    private static readonly Guid Orders = Guid.Parse("0000000a-0000-0000-0000-000000000001");
    private static readonly Guid Payments = Guid.Parse("0000000b-0000-0000-0000-000000000002");

    public static TheoryData<int, int> MemberAndPartitionCounts()
    {
        var data = new TheoryData<int, int>();
        for (var members = 1; members <= 7; members++)
        {
            foreach (var partitions in (int[])[1, 2, 3, 5, 7, 12])
            {
                data.Add(members, partitions);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MemberAndPartitionCounts))]
    public void Assign_CoversEveryPartition_AndGivesEveryMemberWork(int memberCount, int partitions)
    {
        var group = Group(Enumerable.Range(0, memberCount).Select(i => ($"m{i:D2}", new[] { "orders" })).ToArray());

        group.Assign(Topics(("orders", Orders, partitions)));

        var perMember = group.Members.Values.ToDictionary(m => m.MemberId, m => m.Assignment.GetValueOrDefault(Orders) ?? []);
        var owners = Enumerable.Range(0, partitions).ToDictionary(p => p, p => perMember.Count(m => m.Value.Contains(p)));
        Assert.All(perMember.Values, a => Assert.All(a, p => Assert.InRange(p, 0, partitions - 1)));
        Assert.All(perMember.Values, a => Assert.Equal(a.Distinct().Count(), a.Length));
        if (memberCount <= partitions)
        {
            Assert.All(owners.Values, count => Assert.Equal(1, count)); // each partition to exactly one member
            Assert.All(perMember.Values, a => Assert.InRange(a.Length, partitions / memberCount, (partitions + memberCount - 1) / memberCount));
        }
        else
        {
            Assert.All(perMember.Values, a => Assert.Single(a)); // each member exactly one partition
            Assert.All(owners.Values, count => Assert.InRange(count, 1, (memberCount + partitions - 1) / partitions));
        }
    }

    [Fact]
    public void Assign_WithFewerMembersThanPartitions_IsRoundRobinInMemberIdOrder()
    {
        var group = Group(("c", ["orders"]), ("a", ["orders"]), ("b", ["orders"])); // joined out of id order

        group.Assign(Topics(("orders", Orders, 7)));

        Assert.Equal([0, 3, 6], group.Members["a"].Assignment[Orders]);
        Assert.Equal([1, 4], group.Members["b"].Assignment[Orders]);
        Assert.Equal([2, 5], group.Members["c"].Assignment[Orders]);
    }

    [Fact]
    public void Assign_WithMoreMembersThanPartitions_GivesEachMemberOnePartitionRoundRobin()
    {
        var group = Group(("e", ["orders"]), ("d", ["orders"]), ("c", ["orders"]), ("b", ["orders"]), ("a", ["orders"]));

        group.Assign(Topics(("orders", Orders, 2)));

        Assert.Equal(
            [("a", 0), ("b", 1), ("c", 0), ("d", 1), ("e", 0)],
            group.Members.Values.OrderBy(m => m.MemberId, StringComparer.Ordinal).Select(m => (m.MemberId, Assert.Single(m.Assignment[Orders]))));
    }

    [Fact]
    public void Assign_GivesMembersOnlyTheTopicsTheySubscribeTo()
    {
        var group = Group(("a", ["orders"]), ("b", ["orders", "payments"]), ("c", ["payments"]), ("d", ["unknown"]));

        group.Assign(Topics(("orders", Orders, 4), ("payments", Payments, 1)));

        Assert.Equal([Orders], group.Members["a"].Assignment.Keys);
        Assert.Equal([0, 2], group.Members["a"].Assignment[Orders]);
        Assert.Equal([1, 3], group.Members["b"].Assignment[Orders]);
        Assert.Equal([0], group.Members["b"].Assignment[Payments]);
        Assert.Equal([Payments], group.Members["c"].Assignment.Keys);
        Assert.Equal([0], group.Members["c"].Assignment[Payments]);
        Assert.Empty(group.Members["d"].Assignment);
    }

    [Fact]
    public void Assign_ReplacesThePreviousAssignment_AndRecordsWhatItWasComputedFrom()
    {
        var group = Group(("a", ["orders", "payments"]));
        group.Assign(Topics(("orders", Orders, 2), ("payments", Payments, 1)));
        group.GroupEpoch = 7;

        group.Assign(Topics(("orders", Orders, 0), ("payments", Payments, 3)));

        Assert.Equal([Payments], group.Members["a"].Assignment.Keys); // a topic without partitions assigns nothing
        Assert.Equal([0, 1, 2], group.Members["a"].Assignment[Payments]);
        Assert.Equal(7, group.AssignmentEpoch);
        Assert.Equal((Payments, 3), group.AssignedTopics["payments"]);
    }

    private static ShareGroup Group(params (string MemberId, string[] Topics)[] members)
    {
        var group = new ShareGroup("g");
        foreach (var (memberId, topics) in members)
        {
            group.Members[memberId] = new ShareMember(memberId) { SubscribedTopics = new HashSet<string>(topics, StringComparer.Ordinal) };
        }

        return group;
    }

    private static Dictionary<string, (Guid TopicId, int Partitions)> Topics(params (string Name, Guid Id, int Partitions)[] topics) =>
        topics.ToDictionary(t => t.Name, t => (t.Id, t.Partitions), StringComparer.Ordinal);
}
