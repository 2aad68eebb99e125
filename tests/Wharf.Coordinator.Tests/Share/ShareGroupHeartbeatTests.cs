using Wharf.Common;
using Wharf.Coordinator.Share;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Tests.Share;

/// <summary>Share-group membership through <see cref="GroupCoordinator.ShareGroupHeartbeatAsync"/>, in virtual time.</summary>
public class ShareGroupHeartbeatTests
{
    private const string Group = "share-a";
    private static readonly Guid Orders = Guid.Parse("0a0a0a0a-0000-0000-0000-000000000001");
    private static readonly ShareGroupSettings Settings = new(HeartbeatIntervalMs: 3_000, SessionTimeoutMs: 45_000);

    [Fact]
    public async Task Join_AtEpochZeroWithAClientChosenId_GetsAnEpochAndAnAssignment()
    {
        using var h = Harness();

        var joined = await HeartbeatAsync(h, "m1", 0, ["orders"]);

        Assert.Equal(ErrorCode.None, (ErrorCode)joined.ErrorCode);
        Assert.Equal("m1", joined.MemberId);
        Assert.True(joined.MemberEpoch > 0, $"epoch {joined.MemberEpoch}");
        Assert.Equal(3_000, joined.HeartbeatIntervalMs);
        Assert.Equal([0, 1, 2, 3], Partitions(joined));
        Assert.Equal([(Group, "Stable")], h.Coordinator.ListShareGroups());
    }

    [Fact]
    public async Task SecondMember_BumpsTheEpoch_AndTheFirstMembersNextHeartbeatCarriesItsNewAssignment()
    {
        using var h = Harness();
        var first = await HeartbeatAsync(h, "m1", 0, ["orders"]);

        var second = await HeartbeatAsync(h, "m2", 0, ["orders"]);
        Assert.True(second.MemberEpoch > first.MemberEpoch, $"{second.MemberEpoch} after {first.MemberEpoch}");
        Assert.Equal([1, 3], Partitions(second));

        var again = await HeartbeatAsync(h, "m1", first.MemberEpoch);
        Assert.Equal(ErrorCode.None, (ErrorCode)again.ErrorCode);
        Assert.Equal(second.MemberEpoch, again.MemberEpoch);
        Assert.Equal([0, 2], Partitions(again));

        var unchanged = await HeartbeatAsync(h, "m1", again.MemberEpoch);
        Assert.Equal(ErrorCode.None, (ErrorCode)unchanged.ErrorCode);
        Assert.Null(unchanged.Assignment); // sent only when it changed
    }

    [Fact]
    public async Task Heartbeat_WithAnEpochOtherThanTheMembers_IsFencedMemberEpoch()
    {
        using var h = Harness();
        var joined = await HeartbeatAsync(h, "m1", 0, ["orders"]);

        Assert.Equal(ErrorCode.FencedMemberEpoch, (ErrorCode)(await HeartbeatAsync(h, "m1", joined.MemberEpoch + 1)).ErrorCode);
        Assert.Equal(ErrorCode.FencedMemberEpoch, (ErrorCode)(await HeartbeatAsync(h, "m1", joined.MemberEpoch - 1)).ErrorCode);
        Assert.Equal(ErrorCode.None, (ErrorCode)(await HeartbeatAsync(h, "m1", joined.MemberEpoch)).ErrorCode);
    }

    [Fact]
    public async Task Heartbeat_OfAnUnknownMember_IsUnknownMemberId()
    {
        using var h = Harness();
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)(await HeartbeatAsync(h, "m1", 3)).ErrorCode); // no such group
        Assert.Empty(h.Coordinator.ListShareGroups());

        var joined = await HeartbeatAsync(h, "m1", 0, ["orders"]);
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)(await HeartbeatAsync(h, "m2", joined.MemberEpoch)).ErrorCode);
    }

    [Fact]
    public async Task Leave_WithEpochMinusOne_RemovesTheMember_AndTheOthersTakeItsPartitions()
    {
        using var h = Harness();
        var first = await HeartbeatAsync(h, "m1", 0, ["orders"]);
        var second = await HeartbeatAsync(h, "m2", 0, ["orders"]);
        first = await HeartbeatAsync(h, "m1", first.MemberEpoch);

        var left = await HeartbeatAsync(h, "m2", -1);

        Assert.Equal((ErrorCode.None, -1), ((ErrorCode)left.ErrorCode, left.MemberEpoch));
        Assert.Equal((ErrorCode.None, true, 1), h.Coordinator.ShareGroupStatus(Group));
        var after = await HeartbeatAsync(h, "m1", first.MemberEpoch);
        Assert.True(after.MemberEpoch > second.MemberEpoch);
        Assert.Equal([0, 1, 2, 3], Partitions(after));
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)(await HeartbeatAsync(h, "m2", second.MemberEpoch)).ErrorCode);
    }

    [Fact]
    public async Task Leave_OfAGroupThatDoesNotExist_IsAcceptedAndCreatesNothing()
    {
        using var h = Harness();
        Assert.Equal(ErrorCode.None, (ErrorCode)(await HeartbeatAsync(h, "m1", -1)).ErrorCode);
        Assert.Empty(h.Coordinator.ListShareGroups());
    }

    [Fact]
    public async Task Heartbeat_WithAnEmptyMemberId_IsInvalidRequest()
    {
        using var h = Harness();
        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)(await HeartbeatAsync(h, "", 0, ["orders"])).ErrorCode);
        Assert.Empty(h.Coordinator.ListShareGroups());
    }

    [Fact]
    public async Task Join_WithoutSubscribedTopics_IsInvalidRequest_AndLeavesNoGroupBehind()
    {
        using var h = Harness();

        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)(await HeartbeatAsync(h, "m1", 0)).ErrorCode);
        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)(await HeartbeatAsync(h, "m1", 0, [])).ErrorCode);

        Assert.Empty(h.Coordinator.ListShareGroups());
        Assert.Equal((ErrorCode.None, false, 0), h.Coordinator.ShareGroupStatus(Group));
    }

    [Fact]
    public async Task Heartbeat_ForAClassicGroupsId_IsGroupIdNotFound()
    {
        using var h = Harness();
        var join = await h.JoinAsync(Group, version: 2).WaitAsync(GroupHarness.Wait);
        Assert.Equal(ErrorCode.None, (ErrorCode)join.ErrorCode);

        Assert.Equal(ErrorCode.GroupIdNotFound, (ErrorCode)(await HeartbeatAsync(h, "m1", 0, ["orders"])).ErrorCode);
        Assert.Empty(h.Coordinator.ListShareGroups());
    }

    [Fact]
    public async Task ClassicJoin_ForAShareGroupsId_IsGroupIdNotFound_AndTheShareGroupStays()
    {
        using var h = Harness();
        var joined = await HeartbeatAsync(h, "m1", 0, ["orders"]);

        var classic = await h.JoinAsync(Group, version: 2).WaitAsync(GroupHarness.Wait);

        Assert.Equal(ErrorCode.GroupIdNotFound, (ErrorCode)classic.ErrorCode);
        Assert.DoesNotContain(h.Coordinator.ListGroups(), g => g.GroupId == Group);
        Assert.Equal(ErrorCode.None, (ErrorCode)(await HeartbeatAsync(h, "m1", joined.MemberEpoch)).ErrorCode);
    }

    [Fact]
    public async Task Join_BeyondTheMaximumGroupSize_IsGroupMaxSizeReached()
    {
        using var h = Harness(maxSize: 2);
        await HeartbeatAsync(h, "m1", 0, ["orders"]);
        await HeartbeatAsync(h, "m2", 0, ["orders"]);

        Assert.Equal(ErrorCode.GroupMaxSizeReached, (ErrorCode)(await HeartbeatAsync(h, "m3", 0, ["orders"])).ErrorCode);
        Assert.Equal((ErrorCode.None, true, 2), h.Coordinator.ShareGroupStatus(Group));
    }

    [Fact]
    public async Task MemberSilentForTheSessionTimeout_IsRemoved_AndTheOthersTakeItsPartitions()
    {
        using var h = Harness();
        var first = await HeartbeatAsync(h, "m1", 0, ["orders"]);
        var second = await HeartbeatAsync(h, "m2", 0, ["orders"]);

        h.Time.Advance(TimeSpan.FromSeconds(40));
        first = await HeartbeatAsync(h, "m1", first.MemberEpoch); // m1 stays; m2 is silent
        Assert.Equal([0, 2], Partitions(first));
        h.Time.Advance(TimeSpan.FromMilliseconds(Settings.SessionTimeoutMs - 40_000 - 1));
        Assert.Equal((ErrorCode.None, true, 2), h.Coordinator.ShareGroupStatus(Group));

        h.Time.Advance(TimeSpan.FromMilliseconds(1)); // m2 silent for exactly the session timeout

        Assert.Equal((ErrorCode.None, true, 1), h.Coordinator.ShareGroupStatus(Group));
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)(await HeartbeatAsync(h, "m2", second.MemberEpoch)).ErrorCode);
        var after = await HeartbeatAsync(h, "m1", first.MemberEpoch);
        Assert.Equal(ErrorCode.None, (ErrorCode)after.ErrorCode);
        Assert.Equal([0, 1, 2, 3], Partitions(after));
    }

    [Fact]
    public async Task Group_SurvivesACoordinatorReload_AndItsNextEpochIsNewer()
    {
        using var h = Harness();
        await HeartbeatAsync(h, "m1", 0, ["orders"]);
        var last = await HeartbeatAsync(h, "m2", 0, ["orders"]);

        using var restarted = h.Restart();

        Assert.Equal([(Group, "Empty")], restarted.Coordinator.ListShareGroups()); // members live in memory only
        Assert.Equal(ErrorCode.UnknownMemberId, (ErrorCode)(await HeartbeatAsync(restarted, "m1", last.MemberEpoch)).ErrorCode);
        var rejoined = await HeartbeatAsync(restarted, "m1", 0, ["orders"]);
        Assert.Equal(ErrorCode.None, (ErrorCode)rejoined.ErrorCode);
        Assert.True(rejoined.MemberEpoch > last.MemberEpoch, $"epoch {rejoined.MemberEpoch} reused after {last.MemberEpoch}");
        Assert.Equal([0, 1, 2, 3], Partitions(rejoined));
    }

    private static GroupHarness Harness(int maxSize = 200) => new(new GroupCoordinatorOptions
    {
        OffsetsTopicPartitions = 4,
        TopicLookup = name => name == "orders" ? (Orders, 4) : null,
        ShareGroupSettings = _ => Settings,
        MaxShareGroupSize = maxSize,
    });

    private static Task<ShareGroupHeartbeatResponse> HeartbeatAsync(GroupHarness h, string memberId, int epoch, List<string>? topics = null) =>
        h.Coordinator.ShareGroupHeartbeatAsync(
            new ShareGroupHeartbeatRequest { GroupId = Group, MemberId = memberId, MemberEpoch = epoch, SubscribedTopicNames = topics },
            "client",
            "/127.0.0.1").WaitAsync(GroupHarness.Wait);

    private static int[] Partitions(ShareGroupHeartbeatResponse response)
    {
        Assert.NotNull(response.Assignment);
        var topic = Assert.Single(response.Assignment.TopicPartitions);
        Assert.Equal(Orders, topic.TopicId);
        return [.. topic.Partitions.Order()];
    }
}
