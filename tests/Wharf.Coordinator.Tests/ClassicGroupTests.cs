using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Tests;

/// <summary>The classic group protocol in virtual time: joins, rebalances, timeouts, static membership.</summary>
public class ClassicGroupTests
{
    private const string Group = "group-a";

    [Fact]
    public async Task JoinGroup_V4WithoutMemberId_AsksForTheMemberIdThenFormsGenerationOne()
    {
        using var h = new GroupHarness();
        var first = await h.JoinAsync(Group, version: 4).WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        Assert.StartsWith("client-", first.MemberId, StringComparison.Ordinal);

        var join = await h.JoinAsync(Group, first.MemberId, version: 4).WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.None, join.ErrorCode);
        Assert.Equal(1, join.GenerationId);
        Assert.Equal("range", join.ProtocolName);
        Assert.Equal(first.MemberId, join.Leader);
        Assert.Single(join.Members);

        var sync = await h.SyncAsync(Group, join.MemberId, 1, null, (join.MemberId, [1, 2, 3])).WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.None, sync.ErrorCode);
        Assert.Equal([1, 2, 3], sync.Assignment);
        Assert.Equal("Stable", h.State(Group));
        Assert.Equal(ErrorCode.None, h.Heartbeat(Group, join.MemberId, 1));
    }

    [Fact]
    public async Task JoinGroup_V2WithoutMemberId_JoinsAtOnce()
    {
        using var h = new GroupHarness();
        var join = await h.JoinAsync(Group, version: 2).WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.None, join.ErrorCode);
        Assert.Equal(1, join.GenerationId);
    }

    [Fact]
    public async Task JoinGroup_WithAProtocolNoMemberSupports_IsInconsistentGroupProtocol()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        var other = await h.JoinAsync(Group, version: 2, protocol: "roundrobin").WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.InconsistentGroupProtocol, other.ErrorCode);
        Assert.Equal(ErrorCode.None, h.Heartbeat(Group, a, 1));
    }

    [Theory]
    [InlineData(5_999)]
    [InlineData(1_800_001)]
    public async Task JoinGroup_WithSessionTimeoutOutsideBounds_IsInvalidSessionTimeout(int sessionMs)
    {
        using var h = new GroupHarness();
        var join = await h.JoinAsync(Group, sessionMs: sessionMs).WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, join.ErrorCode);
    }

    [Fact]
    public async Task GroupId_EmptyOrOversized_IsInvalidGroupIdAndOtherGroupsAreUnaffected()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        Assert.Equal((short)ErrorCode.InvalidGroupId, (await h.JoinAsync("")).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidGroupId, (await h.JoinAsync(new string('g', 1025))).ErrorCode);
        Assert.Equal(ErrorCode.InvalidGroupId, await h.CommitAsync("", "", -1, "topic", 0, 1));
        Assert.Equal(ErrorCode.InvalidGroupId, h.Heartbeat("", "m", 1));
        Assert.Equal(ErrorCode.InvalidGroupId, await h.Coordinator.DeleteGroupAsync(""));
        Assert.Equal(ErrorCode.None, h.Heartbeat(Group, a, 1));
    }

    [Fact]
    public async Task SecondMember_TriggersRebalance_BothGetGenerationTwoAndOnlyTheLeaderSeesMembers()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        var bId = await h.JoinNewMemberAsync(Group);
        var bJoin = h.JoinAsync(Group, bId);
        Assert.Equal("PreparingRebalance", h.State(Group));
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(Group, a, 1));
        Assert.False(bJoin.IsCompleted);

        var aJoin = await h.JoinAsync(Group, a).WaitAsync(GroupHarness.Wait);
        var bResult = await bJoin.WaitAsync(GroupHarness.Wait);
        Assert.Equal(2, aJoin.GenerationId);
        Assert.Equal(2, bResult.GenerationId);
        Assert.Equal(a, aJoin.Leader);
        Assert.Equal(2, aJoin.Members.Count);
        Assert.Empty(bResult.Members);

        var bSync = h.SyncAsync(Group, bId, 2);
        Assert.False(bSync.IsCompleted); // waits for the leader's assignment
        var aSync = await h.SyncAsync(Group, a, 2, null, (a, [1]), (bId, [2])).WaitAsync(GroupHarness.Wait);
        Assert.Equal([1], aSync.Assignment);
        Assert.Equal([2], (await bSync.WaitAsync(GroupHarness.Wait)).Assignment);
    }

    [Fact]
    public async Task JoinStorm_AThousandMembers_FormOneGenerationAndTheLeaderSeesThemAll()
    {
        using var h = new GroupHarness();
        var ids = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            ids.Add(await h.JoinNewMemberAsync(Group));
        }

        var joins = ids.Select(id => h.JoinAsync(Group, id)).ToList();
        var results = await Task.WhenAll(joins).WaitAsync(GroupHarness.Wait);
        Assert.All(results, r => Assert.Equal((short)ErrorCode.None, r.ErrorCode));
        Assert.All(results, r => Assert.Equal(1, r.GenerationId));
        var leader = Assert.Single(results, r => r.Members.Count > 0);
        Assert.Equal(1000, leader.Members.Count);
        Assert.Equal(1000, h.Coordinator.DescribeGroup(Group).Members.Count);
    }

    [Fact]
    public async Task JoinStorm_BeyondGroupMaxSize_IsRefusedAndOtherGroupsAreUnaffected()
    {
        using var h = new GroupHarness(new GroupCoordinatorOptions { MaxGroupSize = 10 });
        var other = await StableSingleMemberAsync(h, "other-group");
        var errors = new List<short>();
        for (var i = 0; i < 20; i++)
        {
            errors.Add((await h.JoinAsync(Group).WaitAsync(GroupHarness.Wait)).ErrorCode);
        }

        Assert.Equal(10, errors.Count(e => e == (short)ErrorCode.MemberIdRequired));
        Assert.Equal(10, errors.Count(e => e == (short)ErrorCode.GroupMaxSizeReached));
        Assert.Equal(ErrorCode.None, h.Heartbeat("other-group", other, 1));
    }

    [Fact]
    public async Task PendingMemberIds_ThatNeverRejoin_AreForgottenAfterTheSessionTimeout()
    {
        using var h = new GroupHarness(new GroupCoordinatorOptions { MaxGroupSize = 5 });
        for (var i = 0; i < 5; i++)
        {
            await h.JoinNewMemberAsync(Group);
        }

        Assert.Equal((short)ErrorCode.GroupMaxSizeReached, (await h.JoinAsync(Group)).ErrorCode);
        h.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal((short)ErrorCode.MemberIdRequired, (await h.JoinAsync(Group)).ErrorCode);
    }

    [Fact]
    public async Task MemberThatStopsHeartbeating_IsEvictedAfterTheSessionTimeout_AndTheOthersRebalance()
    {
        using var h = new GroupHarness();
        var (a, b) = await StableTwoMembersAsync(h);
        for (var i = 0; i < 3; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(ErrorCode.None, h.Heartbeat(Group, a, 2));
        }

        h.Time.Advance(TimeSpan.FromSeconds(2)); // b silent for 11 s > 10 s session timeout
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(Group, a, 2));
        var join = await h.JoinAsync(Group, a).WaitAsync(GroupHarness.Wait);
        Assert.Equal(3, join.GenerationId);
        Assert.Single(join.Members);
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(Group, b, 2));
    }

    [Fact]
    public async Task SlowMember_ThatDoesNotRejoinWithinTheRebalanceTimeout_IsLeftOutOfTheNextGeneration()
    {
        using var h = new GroupHarness();
        var (a, b) = await StableTwoMembersAsync(h, rebalanceMs: 20_000);
        var cId = await h.JoinNewMemberAsync(Group);
        var cJoin = h.JoinAsync(Group, cId, rebalanceMs: 20_000);
        var aJoin = h.JoinAsync(Group, a, rebalanceMs: 20_000);
        for (var i = 0; i < 3; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(5)); // b keeps heartbeating but never rejoins
            Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat(Group, b, 2));
        }

        Assert.False(aJoin.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(5)); // the 20 s rebalance timeout

        var aResult = await aJoin.WaitAsync(GroupHarness.Wait);
        Assert.Equal(3, aResult.GenerationId);
        Assert.Equal(2, aResult.Members.Count);
        Assert.DoesNotContain(aResult.Members, m => m.MemberId == b);
        Assert.Equal(3, (await cJoin.WaitAsync(GroupHarness.Wait)).GenerationId);
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(Group, b, 2));
    }

    [Fact]
    public async Task LeaderLeavingMidSync_FollowersGetRebalanceInProgress_AndTheNextGenerationHasANewLeader()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        var bId = await h.JoinNewMemberAsync(Group);
        var bJoin = h.JoinAsync(Group, bId);
        await h.JoinAsync(Group, a).WaitAsync(GroupHarness.Wait);
        await bJoin.WaitAsync(GroupHarness.Wait);
        var bSync = h.SyncAsync(Group, bId, 2);
        Assert.False(bSync.IsCompleted);

        var (error, members) = h.Coordinator.LeaveGroup(Group, [(a, null)]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(ErrorCode.None, members[0].Error);
        Assert.Equal((short)ErrorCode.RebalanceInProgress, (await bSync.WaitAsync(GroupHarness.Wait)).ErrorCode);

        var rejoin = await h.JoinAsync(Group, bId).WaitAsync(GroupHarness.Wait);
        Assert.Equal(3, rejoin.GenerationId);
        Assert.Equal(bId, rejoin.Leader);
    }

    [Fact]
    public async Task MemberThatNeverSyncs_IsRemovedAfterTheRebalanceTimeout()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        var bId = await h.JoinNewMemberAsync(Group);
        var bJoin = h.JoinAsync(Group, bId);
        await h.JoinAsync(Group, a).WaitAsync(GroupHarness.Wait);
        await bJoin.WaitAsync(GroupHarness.Wait);
        var bSync = h.SyncAsync(Group, bId, 2); // the leader a heartbeats but never sends its SyncGroup
        for (var i = 0; i < 5; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(ErrorCode.None, h.Heartbeat(Group, a, 2));
        }

        Assert.False(bSync.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((short)ErrorCode.RebalanceInProgress, (await bSync.WaitAsync(GroupHarness.Wait)).ErrorCode);
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat(Group, a, 2));
    }

    [Fact]
    public async Task StaticMember_RestartingWithinTheSessionTimeout_KeepsGenerationAndAssignment_AndTheOldIdIsFenced()
    {
        using var h = new GroupHarness();
        var aJoin = await h.JoinAsync(Group, instanceId: "instance-a").WaitAsync(GroupHarness.Wait);
        var a = aJoin.MemberId;
        await h.SyncAsync(Group, a, 1, "instance-a", (a, [7])).WaitAsync(GroupHarness.Wait);
        var bId = await h.JoinNewMemberAsync(Group);
        var bJoin = h.JoinAsync(Group, bId);
        await h.JoinAsync(Group, a, instanceId: "instance-a").WaitAsync(GroupHarness.Wait);
        await bJoin.WaitAsync(GroupHarness.Wait);
        var bSync = h.SyncAsync(Group, bId, 2);
        await h.SyncAsync(Group, a, 2, "instance-a", (a, [7]), (bId, [8])).WaitAsync(GroupHarness.Wait);
        await bSync.WaitAsync(GroupHarness.Wait);

        h.Time.Advance(TimeSpan.FromSeconds(5)); // a's process restarts: a new join without member id
        var restarted = await h.JoinAsync(Group, instanceId: "instance-a").WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.None, restarted.ErrorCode);
        Assert.Equal(2, restarted.GenerationId);
        Assert.NotEqual(a, restarted.MemberId);
        Assert.Equal("Stable", h.State(Group));
        Assert.Equal(ErrorCode.None, h.Heartbeat(Group, bId, 2)); // no rebalance for b
        var sync = await h.SyncAsync(Group, restarted.MemberId, 2, "instance-a").WaitAsync(GroupHarness.Wait);
        Assert.Equal([7], sync.Assignment);
        Assert.Equal(ErrorCode.FencedInstanceId, h.Heartbeat(Group, a, 2, "instance-a"));
        Assert.Equal(ErrorCode.FencedInstanceId, await h.CommitAsync(Group, a, 2, "topic", 0, 5, instanceId: "instance-a"));
    }

    [Fact]
    public async Task StaticMember_GoneLongerThanTheSessionTimeout_IsEvicted()
    {
        using var h = new GroupHarness();
        var aJoin = await h.JoinAsync(Group, instanceId: "instance-a").WaitAsync(GroupHarness.Wait);
        await h.SyncAsync(Group, aJoin.MemberId, 1, "instance-a", (aJoin.MemberId, [7])).WaitAsync(GroupHarness.Wait);
        h.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("Empty", h.State(Group));
        var rejoin = await h.JoinAsync(Group, instanceId: "instance-a").WaitAsync(GroupHarness.Wait);
        Assert.Equal(3, rejoin.GenerationId); // generation 2 was the empty one
    }

    [Fact]
    public async Task LeaveGroup_ByInstanceIdAndUnknownMembers_ReportsPerMember()
    {
        using var h = new GroupHarness();
        var aJoin = await h.JoinAsync(Group, instanceId: "instance-a").WaitAsync(GroupHarness.Wait);
        await h.SyncAsync(Group, aJoin.MemberId, 1, "instance-a", (aJoin.MemberId, [])).WaitAsync(GroupHarness.Wait);
        var (error, members) = h.Coordinator.LeaveGroup(Group, [("", "instance-a"), ("nobody", null)]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(ErrorCode.None, members[0].Error);
        Assert.Equal(ErrorCode.UnknownMemberId, members[1].Error);
        Assert.Equal("Empty", h.State(Group));
        Assert.Equal(ErrorCode.UnknownMemberId, h.Coordinator.LeaveGroup("no-such-group", [("x", null)]).Members[0].Error);
    }

    [Fact]
    public async Task SyncGroup_WithStaleGenerationOrUnknownMember_GetsKafkasErrors()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        Assert.Equal((short)ErrorCode.IllegalGeneration, (await h.SyncAsync(Group, a, 7)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await h.SyncAsync(Group, "nobody", 1)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await h.SyncAsync("no-such-group", a, 1)).ErrorCode);
        Assert.Equal(ErrorCode.IllegalGeneration, h.Heartbeat(Group, a, 0));
    }

    [Fact]
    public async Task InitialRebalanceDelay_CollectsMembersArrivingTogetherIntoOneGeneration()
    {
        using var h = new GroupHarness(new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.FromSeconds(3) });
        var a = h.JoinAsync(Group, version: 2);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var b = h.JoinAsync(Group, version: 2);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(a.IsCompleted); // b arrived within the delay: it is extended by another delay
        var waited = 4;
        while (!a.IsCompleted && waited < 40)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            waited++;
        }

        Assert.InRange(waited, 6, 8);
        var results = await Task.WhenAll(a, b).WaitAsync(GroupHarness.Wait);
        Assert.All(results, r => Assert.Equal(1, r.GenerationId));
    }

    [Fact]
    public async Task MalformedAssignmentBytes_AreOpaque_AndReturnedAsSent()
    {
        using var h = new GroupHarness();
        var join = await h.JoinAsync(Group, version: 2, metadata: [0xFF, 0x00, 0x13]).WaitAsync(GroupHarness.Wait);
        var sync = await h.SyncAsync(Group, join.MemberId, 1, null, (join.MemberId, [0xDE, 0xAD]), ("not-a-member", [1])).WaitAsync(GroupHarness.Wait);
        Assert.Equal([0xDE, 0xAD], sync.Assignment);
        Assert.Equal([0xFF, 0x00, 0x13], h.Coordinator.DescribeGroup(Group).Members[0].MemberMetadata);
    }

    internal static async Task<string> StableSingleMemberAsync(GroupHarness h, string group = Group)
    {
        var id = await h.JoinNewMemberAsync(group);
        var join = await h.JoinAsync(group, id).WaitAsync(GroupHarness.Wait);
        Assert.Equal(1, join.GenerationId);
        await h.SyncAsync(group, id, 1, null, (id, [1])).WaitAsync(GroupHarness.Wait);
        return id;
    }

    internal static async Task<(string A, string B)> StableTwoMembersAsync(GroupHarness h, int rebalanceMs = 30_000)
    {
        var a = await StableSingleMemberAsync(h);
        var b = await h.JoinNewMemberAsync(Group);
        var bJoin = h.JoinAsync(Group, b, rebalanceMs: rebalanceMs);
        var aJoin = await h.JoinAsync(Group, a, rebalanceMs: rebalanceMs).WaitAsync(GroupHarness.Wait);
        Assert.Equal(2, aJoin.GenerationId);
        await bJoin.WaitAsync(GroupHarness.Wait);
        var bSync = h.SyncAsync(Group, b, 2);
        await h.SyncAsync(Group, a, 2, null, (a, [1]), (b, [2])).WaitAsync(GroupHarness.Wait);
        await bSync.WaitAsync(GroupHarness.Wait);
        return (a, b);
    }
}
