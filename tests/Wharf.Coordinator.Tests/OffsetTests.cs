using Wharf.Common;
using Wharf.Protocol.Messages;
using static Wharf.Coordinator.Tests.ClassicGroupTests;

namespace Wharf.Coordinator.Tests;

/// <summary>Committed offsets, their durability gate, expiry, deletion, and the rebuild by replay.</summary>
public class OffsetTests
{
    private const string Group = "group-a";

    [Fact]
    public async Task SimpleCommit_WithoutAGroup_IsStoredWithMetadataAndLeaderEpoch()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, "", -1, "topic", 2, 42, "kcat was here"));
        var fetched = h.Fetch(Group, "topic", 2);
        Assert.Equal(42, fetched.CommittedOffset);
        Assert.Equal(3, fetched.CommittedLeaderEpoch);
        Assert.Equal("kcat was here", fetched.Metadata);
        Assert.Equal(-1, h.Fetch(Group, "topic", 3).CommittedOffset);
        Assert.Equal(-1, h.Fetch("no-such-group", "topic", 2).CommittedOffset);
        Assert.Equal("Empty", h.State(Group));
    }

    [Fact]
    public async Task Commit_FromTheCurrentGeneration_IsAccepted_AndStaleOrForeignCommitsAreRefused()
    {
        using var h = new GroupHarness();
        var (a, b) = await StableTwoMembersAsync(h);
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 2, "topic", 0, 10));
        Assert.Equal(ErrorCode.IllegalGeneration, await h.CommitAsync(Group, b, 1, "topic", 0, 5));
        Assert.Equal(ErrorCode.UnknownMemberId, await h.CommitAsync(Group, "stranger", 2, "topic", 0, 5));
        Assert.Equal(ErrorCode.UnknownMemberId, await h.CommitAsync(Group, "", -1, "topic", 0, 5)); // simple commit to a live group
        Assert.Equal(ErrorCode.IllegalGeneration, await h.CommitAsync("never-seen", "m", 3, "topic", 0, 5));
        Assert.Equal(10, h.Fetch(Group, "topic", 0).CommittedOffset);
    }

    [Fact]
    public async Task Commit_DuringCompletingRebalance_IsRebalanceInProgress_ButDuringPreparingRebalanceIsAccepted()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        var bId = await h.JoinNewMemberAsync(Group);
        var bJoin = h.JoinAsync(Group, bId);
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 1, "topic", 0, 1)); // preparing: generation 1 still current
        await h.JoinAsync(Group, a).WaitAsync(GroupHarness.Wait);
        await bJoin.WaitAsync(GroupHarness.Wait);
        Assert.Equal(ErrorCode.RebalanceInProgress, await h.CommitAsync(Group, a, 2, "topic", 0, 2));
    }

    [Fact]
    public async Task Commit_ForANonexistentTopicOrTooLargeMetadata_IsRefusedPerPartition()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, await h.CommitAsync(Group, "", -1, "missing", 0, 1));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, await h.CommitAsync(Group, "", -1, "topic", 99, 1));
        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, await h.CommitAsync(Group, "", -1, "topic", 0, 1, new string('m', 4097)));
        Assert.Equal("Dead", h.State(Group)); // nothing was written, so no group was created
    }

    [Fact]
    public async Task Commit_IsAnsweredAndVisibleOnlyOnceDurable_AndRequireStableSeesItPending()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, "", -1, "topic", 0, 1));
        h.Writer.HoldWrites = true;
        var commit = h.CommitAsync(Group, "", -1, "topic", 0, 2);
        Assert.False(commit.IsCompleted);
        Assert.Equal(1, h.Fetch(Group, "topic", 0).CommittedOffset);
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, h.Fetch(Group, "topic", 0, requireStable: true).ErrorCode);

        h.Writer.ReleaseAll();
        Assert.Equal(ErrorCode.None, await commit.WaitAsync(GroupHarness.Wait));
        Assert.Equal(2, h.Fetch(Group, "topic", 0, requireStable: true).CommittedOffset);
    }

    [Fact]
    public async Task Commit_WhoseWriteFails_IsAnsweredWithTheErrorAndNotApplied()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, "", -1, "topic", 0, 1));
        h.Writer.HoldWrites = true;
        var commit = h.CommitAsync(Group, "", -1, "topic", 0, 2);
        h.Writer.FailAll();
        Assert.Equal(ErrorCode.NotEnoughReplicas, await commit.WaitAsync(GroupHarness.Wait));
        Assert.Equal(1, h.Fetch(Group, "topic", 0, requireStable: true).CommittedOffset);
    }

    [Fact]
    public async Task SyncGroup_IsAnsweredOnlyOnceTheGenerationIsDurable()
    {
        using var h = new GroupHarness();
        var id = await h.JoinNewMemberAsync(Group);
        await h.JoinAsync(Group, id).WaitAsync(GroupHarness.Wait);
        h.Writer.HoldWrites = true;
        var sync = h.SyncAsync(Group, id, 1, null, (id, [9]));
        Assert.False(sync.IsCompleted);
        Assert.Equal("CompletingRebalance", h.State(Group));
        h.Writer.ReleaseAll();
        Assert.Equal([9], (await sync.WaitAsync(GroupHarness.Wait)).Assignment);
        Assert.Equal("Stable", h.State(Group));
    }

    [Fact]
    public async Task Replay_RebuildsOffsetsGroupsAndMembers_SoMembersCarryOnWithoutARebalance()
    {
        var h = new GroupHarness();
        var (a, b) = await StableTwoMembersAsync(h);
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 2, "topic", 0, 100, "meta"));
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, b, 2, "topic", 1, 200));
        Assert.Equal(ErrorCode.None, await h.CommitAsync("simple", "", -1, "topic", 0, 7));
        Assert.Equal(ErrorCode.None, await h.CommitAsync("deleted", "", -1, "topic", 0, 7));
        Assert.Equal(ErrorCode.None, await h.Coordinator.DeleteGroupAsync("deleted"));

        using var restarted = h.Restart();
        Assert.Equal(100, restarted.Fetch(Group, "topic", 0).CommittedOffset);
        Assert.Equal("meta", restarted.Fetch(Group, "topic", 0).Metadata);
        Assert.Equal(200, restarted.Fetch(Group, "topic", 1).CommittedOffset);
        Assert.Equal(7, restarted.Fetch("simple", "topic", 0).CommittedOffset);
        Assert.Equal(-1, restarted.Fetch("deleted", "topic", 0).CommittedOffset);
        Assert.Equal("Stable", restarted.State(Group));
        Assert.Equal(ErrorCode.None, restarted.Heartbeat(Group, a, 2));
        Assert.Equal(ErrorCode.None, restarted.Heartbeat(Group, b, 2));
        Assert.Equal([2], (await restarted.SyncAsync(Group, b, 2).WaitAsync(GroupHarness.Wait)).Assignment);
        Assert.DoesNotContain(restarted.Coordinator.ListGroups(), g => g.GroupId == "deleted");
    }

    [Fact]
    public async Task Replay_MembersThatDoNotComeBack_AreEvictedAfterTheSessionTimeout()
    {
        var h = new GroupHarness();
        var (a, _) = await StableTwoMembersAsync(h);
        using var restarted = h.Restart();
        for (var i = 0; i < 3; i++)
        {
            restarted.Time.Advance(TimeSpan.FromSeconds(4));
            restarted.Heartbeat(Group, a, 2);
        }

        Assert.Equal(ErrorCode.RebalanceInProgress, restarted.Heartbeat(Group, a, 2));
    }

    [Fact]
    public async Task Offsets_OfAnEmptyGroup_ExpireAfterTheRetention_ButNotWhileItHasMembers()
    {
        using var h = new GroupHarness(new GroupCoordinatorOptions { OffsetsRetention = TimeSpan.FromHours(1), OffsetsRetentionCheckInterval = TimeSpan.FromMinutes(10) });
        var a = await StableSingleMemberAsync(h);
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 1, "topic", 0, 5));
        for (var i = 0; i < 800; i++) // two hours of heartbeats: a live group's offsets never expire
        {
            h.Time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(ErrorCode.None, h.Heartbeat(Group, a, 1));
        }

        Assert.Equal(5, h.Fetch(Group, "topic", 0).CommittedOffset);
        h.Coordinator.LeaveGroup(Group, [(a, null)]);
        Assert.Equal("Empty", h.State(Group));

        h.Time.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(5, h.Fetch(Group, "topic", 0).CommittedOffset);
        h.Time.Advance(TimeSpan.FromMinutes(20));
        await WaitUntilAsync(() => h.Fetch(Group, "topic", 0).CommittedOffset == -1);
        await WaitUntilAsync(() => h.State(Group) == "Dead");
    }

    [Fact]
    public async Task SimpleCommit_WithAV1CommitTimestamp_ExpiresCountingFromThatTimestamp_AndMinusOneMeansNow()
    {
        using var h = new GroupHarness(new GroupCoordinatorOptions { OffsetsRetention = TimeSpan.FromHours(1), OffsetsRetentionCheckInterval = TimeSpan.FromMinutes(10) });
        var response = await h.Coordinator.CommitOffsetsAsync(new OffsetCommitRequest
        {
            GroupId = Group,
            Topics =
            [
                new()
                {
                    Name = "topic",
                    Partitions =
                    [
                        new() { PartitionIndex = 0, CommittedOffset = 5, CommitTimestamp = h.Time.GetUtcNow().AddMinutes(-50).ToUnixTimeMilliseconds() },
                        new() { PartitionIndex = 1, CommittedOffset = 6, CommitTimestamp = -1 },
                    ],
                },
            ],
        });
        Assert.All(response.Topics[0].Partitions, p => Assert.Equal(0, p.ErrorCode));

        h.Time.Advance(TimeSpan.FromMinutes(20));
        await WaitUntilAsync(() => h.Fetch(Group, "topic", 0).CommittedOffset == -1);
        Assert.Equal(6, h.Fetch(Group, "topic", 1).CommittedOffset);
    }

    [Fact]
    public async Task DeleteGroups_RefusesANonEmptyGroup_AndDeletesAnEmptyOneWithItsOffsets()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h);
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 1, "topic", 0, 5));
        Assert.Equal(ErrorCode.NonEmptyGroup, await h.Coordinator.DeleteGroupAsync(Group));
        Assert.Equal(ErrorCode.GroupIdNotFound, await h.Coordinator.DeleteGroupAsync("no-such-group"));
        h.Coordinator.LeaveGroup(Group, [(a, null)]);
        Assert.Equal(ErrorCode.None, await h.Coordinator.DeleteGroupAsync(Group).WaitAsync(GroupHarness.Wait));
        Assert.Equal(-1, h.Fetch(Group, "topic", 0).CommittedOffset);
        Assert.Equal("Dead", h.State(Group));
    }

    [Fact]
    public async Task OffsetDelete_RefusesSubscribedTopics_AndDeletesOthers()
    {
        using var h = new GroupHarness();
        var a = await StableSingleMemberAsync(h); // subscribed to "topic"
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 1, "topic", 0, 5));
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 1, "topic-old", 0, 6));
        var response = await h.Coordinator.DeleteOffsetsAsync(new OffsetDeleteRequest
        {
            GroupId = Group,
            Topics = [new() { Name = "topic", Partitions = [new() { PartitionIndex = 0 }] }, new() { Name = "topic-old", Partitions = [new() { PartitionIndex = 0 }] }],
        }).WaitAsync(GroupHarness.Wait);
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal((short)ErrorCode.GroupSubscribedToTopic, response.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.None, response.Topics[1].Partitions[0].ErrorCode);
        Assert.Equal(5, h.Fetch(Group, "topic", 0).CommittedOffset);
        Assert.Equal(-1, h.Fetch(Group, "topic-old", 0).CommittedOffset);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, (await h.Coordinator.DeleteOffsetsAsync(new OffsetDeleteRequest { GroupId = "nope" })).ErrorCode);
    }

    [Fact]
    public async Task ListGroups_ReportsEveryGroupWithItsState()
    {
        using var h = new GroupHarness();
        await StableSingleMemberAsync(h);
        await h.CommitAsync("simple", "", -1, "topic", 0, 1);
        var groups = h.Coordinator.ListGroups().ToDictionary(g => g.GroupId);
        Assert.Equal(Wharf.Coordinator.Group.GroupState.Stable, groups[Group].State);
        Assert.Equal("consumer", groups[Group].ProtocolType);
        Assert.Equal(Wharf.Coordinator.Group.GroupState.Empty, groups["simple"].State);
        Assert.Equal("", groups["simple"].ProtocolType);
    }

    [Theory]
    [InlineData("hello", 22)] // Java: "hello".hashCode() = 99162322
    [InlineData("", 0)]
    [InlineData("polygenelubricants", 0)] // hashCode() = Integer.MIN_VALUE: Kafka's Utils.abs gives 0
    [InlineData("console-consumer-12345", 6)]
    public void PartitionFor_MatchesKafka(string groupId, int expected) =>
        Assert.Equal(expected, GroupCoordinator.PartitionFor(groupId, 50));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + GroupHarness.Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Yield();
        }
    }
}
