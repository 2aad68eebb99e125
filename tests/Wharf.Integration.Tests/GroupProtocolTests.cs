using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// The group APIs over a raw socket, version by version: what each handler answers for the shapes real clients send
/// and for bad input (empty or oversized group ids, unknown groups and members, nonexistent topics).
/// </summary>
public sealed class GroupProtocolTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;
    private RawKafkaConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        await _broker.CreateTopicAsync("orders", 3);
        _connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task OffsetsTopic_IsInternalCompactedAndHasFiftyPartitions()
    {
        var metadata = await RoundTripAsync<MetadataResponse>(new MetadataRequest { Topics = null }, 12);
        var topic = Assert.Single(metadata.Topics, t => t.Name == "__consumer_offsets");
        Assert.True(topic.IsInternal);
        Assert.Equal(50, topic.Partitions.Count);
        Assert.Equal("compact", _broker.Controller.Current.GetTopicConfigs("__consumer_offsets")["cleanup.policy"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task FindCoordinator_SingleKey_ReturnsThisBroker(short version)
    {
        var response = await RoundTripAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { Key = "any-group" }, version);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(_broker.BootstrapServers, $"{response.Host}:{response.Port}");
    }

    [Fact]
    public async Task FindCoordinator_V4Batched_AnswersEachKey_AndRefusesAnEmptyGroupId()
    {
        var response = await RoundTripAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { CoordinatorKeys = ["a", "b", ""] }, 4);
        Assert.Equal(["a", "b", ""], response.Coordinators.Select(c => c.Key));
        Assert.Equal([0, 0, (short)ErrorCode.InvalidGroupId], response.Coordinators.Select(c => c.ErrorCode));
    }

    [Fact]
    public async Task JoinGroup_EmptyOrOversizedGroupId_IsInvalidGroupId()
    {
        foreach (var group in new[] { "", new string('x', 5000) })
        {
            var response = await RoundTripAsync<JoinGroupResponse>(Join(group, ""), 5);
            Assert.Equal((short)ErrorCode.InvalidGroupId, response.ErrorCode);
        }
    }

    [Fact]
    public async Task JoinGroupV2_ThenSyncV1_HeartbeatV1_CommitV2_FetchV1_LeaveV1_AsKafkaPythonSpeaks()
    {
        var join = await RoundTripAsync<JoinGroupResponse>(Join("py", ""), 2);
        Assert.Equal(0, join.ErrorCode);
        var sync = await RoundTripAsync<SyncGroupResponse>(new SyncGroupRequest { GroupId = "py", GenerationId = join.GenerationId, MemberId = join.MemberId, Assignments = [new() { MemberId = join.MemberId, Assignment = [1, 2] }] }, 1);
        Assert.Equal([1, 2], sync.Assignment);
        Assert.Equal(0, (await RoundTripAsync<HeartbeatResponse>(new HeartbeatRequest { GroupId = "py", GenerationId = join.GenerationId, MemberId = join.MemberId }, 1)).ErrorCode);
        var commit = await RoundTripAsync<OffsetCommitResponse>(Commit("py", join.GenerationId, join.MemberId, "orders", 1, 17, "m"), 2);
        Assert.Equal(0, commit.Topics[0].Partitions[0].ErrorCode);
        var fetch = await RoundTripAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "py", Topics = [new() { Name = "orders", PartitionIndexes = [1, 2] }] }, 1);
        Assert.Equal([17L, -1L], fetch.Topics[0].Partitions.Select(p => p.CommittedOffset));
        Assert.Equal("m", fetch.Topics[0].Partitions[0].Metadata);
        Assert.Equal(0, (await RoundTripAsync<LeaveGroupResponse>(new LeaveGroupRequest { GroupId = "py", MemberId = join.MemberId }, 1)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await RoundTripAsync<LeaveGroupResponse>(new LeaveGroupRequest { GroupId = "py", MemberId = join.MemberId }, 1)).ErrorCode);
    }

    [Fact]
    public async Task LeaveGroupV3_BatchedMembers_ReportsEachMember()
    {
        var join = await RoundTripAsync<JoinGroupResponse>(Join("batch", ""), 2);
        var leave = await RoundTripAsync<LeaveGroupResponse>(new LeaveGroupRequest { GroupId = "batch", Members = [new() { MemberId = join.MemberId }, new() { MemberId = "ghost" }] }, 3);
        Assert.Equal(0, leave.ErrorCode);
        Assert.Equal([(short)0, (short)ErrorCode.UnknownMemberId], leave.Members.Select(m => m.ErrorCode));
    }

    [Fact]
    public async Task OffsetCommit_ForANonexistentTopic_OrFromANonMember_IsRefused()
    {
        var unknownTopic = await RoundTripAsync<OffsetCommitResponse>(Commit("simple", -1, "", "no-such-topic", 0, 1, null), 8);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknownTopic.Topics[0].Partitions[0].ErrorCode);
        var join = await RoundTripAsync<JoinGroupResponse>(Join("members", ""), 2);
        var inRebalance = await RoundTripAsync<OffsetCommitResponse>(Commit("members", join.GenerationId, join.MemberId, "orders", 0, 1, null), 8);
        Assert.Equal((short)ErrorCode.RebalanceInProgress, inRebalance.Topics[0].Partitions[0].ErrorCode); // awaiting the leader's SyncGroup
        await RoundTripAsync<SyncGroupResponse>(new SyncGroupRequest { GroupId = "members", GenerationId = join.GenerationId, MemberId = join.MemberId }, 1);
        var stranger = await RoundTripAsync<OffsetCommitResponse>(Commit("members", join.GenerationId, "stranger", "orders", 0, 1, null), 8);
        Assert.Equal((short)ErrorCode.UnknownMemberId, stranger.Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task OffsetFetchV7_RequireStable_AndAllPartitions_ReturnWhatWasCommitted()
    {
        await RoundTripAsync<OffsetCommitResponse>(Commit("stable", -1, "", "orders", 2, 9, "meta"), 8);
        var all = await RoundTripAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "stable", Topics = null, RequireStable = true }, 7);
        Assert.Equal(0, all.ErrorCode);
        var partition = Assert.Single(Assert.Single(all.Topics).Partitions);
        Assert.Equal((2, 9L, "meta"), (partition.PartitionIndex, partition.CommittedOffset, partition.Metadata));
    }

    [Fact]
    public async Task DescribeListDelete_ReportStatesFilterAndRefuseNonEmptyGroups()
    {
        var join = await RoundTripAsync<JoinGroupResponse>(Join("live", ""), 2);
        await RoundTripAsync<SyncGroupResponse>(new SyncGroupRequest { GroupId = "live", GenerationId = join.GenerationId, MemberId = join.MemberId }, 1);
        await RoundTripAsync<OffsetCommitResponse>(Commit("idle", -1, "", "orders", 0, 1, null), 8);

        var described = await RoundTripAsync<DescribeGroupsResponse>(new DescribeGroupsRequest { Groups = ["live", "unknown"] }, 5);
        Assert.Equal(["Stable", "Dead"], described.Groups.Select(g => g.GroupState));
        Assert.Equal("range", described.Groups[0].ProtocolData);

        var stable = await RoundTripAsync<ListGroupsResponse>(new ListGroupsRequest { StatesFilter = ["stable"] }, 4);
        Assert.Equal(["live"], stable.Groups.Select(g => g.GroupId));
        var all = await RoundTripAsync<ListGroupsResponse>(new ListGroupsRequest(), 0);
        Assert.Equal(["idle", "live"], all.Groups.Select(g => g.GroupId));

        var deleted = await RoundTripAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = ["live", "idle", "unknown"] }, 2);
        Assert.Equal([(short)ErrorCode.NonEmptyGroup, (short)0, (short)ErrorCode.GroupIdNotFound], deleted.Results.Select(r => r.ErrorCode));
    }

    [Fact]
    public async Task OffsetDelete_OfAnUnsubscribedTopic_RemovesTheOffset()
    {
        await RoundTripAsync<OffsetCommitResponse>(Commit("od", -1, "", "orders", 0, 5, null), 8);
        var response = await RoundTripAsync<OffsetDeleteResponse>(new OffsetDeleteRequest { GroupId = "od", Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 0 }] }] }, 0);
        Assert.Equal(0, response.ErrorCode);
        var fetch = await RoundTripAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "od", Topics = [new() { Name = "orders", PartitionIndexes = [0] }] }, 7);
        Assert.Equal(-1, fetch.Topics[0].Partitions[0].CommittedOffset);
    }

    private static JoinGroupRequest Join(string group, string memberId) => new()
    {
        GroupId = group,
        MemberId = memberId,
        SessionTimeoutMs = 10_000,
        RebalanceTimeoutMs = 10_000,
        ProtocolType = "consumer",
        Protocols = [new() { Name = "range", Metadata = [0, 0, 0, 0, 0, 0] }],
    };

    private static OffsetCommitRequest Commit(string group, int generation, string member, string topic, int partition, long offset, string? metadata) => new()
    {
        GroupId = group,
        GenerationIdOrMemberEpoch = generation,
        MemberId = member,
        Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = partition, CommittedOffset = offset, CommittedMetadata = metadata }] }],
    };

    private async Task<T> RoundTripAsync<T>(Wharf.Protocol.IApiMessage request, short version)
        where T : Wharf.Protocol.IApiMessage<T>
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _connection.SendAsync(request, version);
        return await _connection.ReceiveAsync<T>(version, timeout.Token);
    }
}
