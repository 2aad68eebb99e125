using Wharf.Client;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Testing;
using Wharf.TestKit;
using static Wharf.Queue.Tests.QueueFixture;

namespace Wharf.Queue.Tests;

/// <summary>
/// The share APIs on the wire: bad input gets the documented error codes and changes nothing; the operator APIs
/// (ShareGroupDescribe, ListGroups, Describe/Alter/DeleteShareGroupOffsets, DeleteGroups) answer with real state.
/// </summary>
public sealed class ShareProtocolTests
{
    [Fact]
    public async Task BadShareRequests_GetTheDocumentedErrors_AndChangeNothing()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("wire");
        await SetGroupConfigsAsync(broker.BootstrapServers, "g", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "wire", 5);
        Assert.True(broker.Controller.Current.TryGetTopic("wire", out var topic));
        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);

        // No session yet: acknowledging or fetching at a later epoch finds none.
        var noSession = await AcknowledgeAsync(connection, "g", "a", 1, topic.TopicId, 0, 0, AcknowledgeType.Accept);
        Assert.Equal(ErrorCode.ShareSessionNotFound, (ErrorCode)noSession.ErrorCode);
        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)(await FetchAsync(connection, null, "a", 0, topic.TopicId)).ErrorCode);

        // Member a opens a session and acquires the five records.
        var fetched = await FetchAsync(connection, "g", "a", 0, topic.TopicId);
        var acquired = Assert.Single(Assert.Single(fetched.Responses).Partitions).AcquiredRecords;
        Assert.Equal((0L, 4L, (short)1), (acquired.Min(r => r.FirstOffset), acquired.Max(r => r.LastOffset), acquired[0].DeliveryCount));

        // A stale or skipped epoch is refused.
        Assert.Equal(ErrorCode.InvalidShareSessionEpoch, (ErrorCode)(await FetchAsync(connection, "g", "a", 5, topic.TopicId)).ErrorCode);

        // Member b cannot acknowledge a's records; nobody can acknowledge offsets never delivered; an unknown topic id is named.
        await FetchAsync(connection, "g", "b", 0, topic.TopicId);
        var wrongMember = await AcknowledgeAsync(connection, "g", "b", 1, topic.TopicId, 0, 4, AcknowledgeType.Accept);
        Assert.Equal(ErrorCode.InvalidRecordState, PartitionError(wrongMember));
        var neverDelivered = await AcknowledgeAsync(connection, "g", "a", 1, topic.TopicId, 3, 9, AcknowledgeType.Accept);
        Assert.Equal(ErrorCode.InvalidRecordState, PartitionError(neverDelivered));
        var unknownTopic = await AcknowledgeAsync(connection, "g", "a", 2, Guid.NewGuid(), 0, 0, AcknowledgeType.Accept);
        Assert.Equal(ErrorCode.UnknownTopicId, PartitionError(unknownTopic));

        // Nothing changed: a still holds all five and accepts them; then closing the session (-1) works.
        var accepted = await AcknowledgeAsync(connection, "g", "a", 3, topic.TopicId, 0, 4, AcknowledgeType.Accept);
        Assert.Equal(ErrorCode.None, PartitionError(accepted));
        var closed = await AcknowledgeAsync(connection, "g", "a", -1, topic.TopicId, 0, 0, AcknowledgeType.Accept);
        Assert.Equal(ErrorCode.None, (ErrorCode)closed.ErrorCode);
        Assert.Equal(ErrorCode.InvalidRecordState, PartitionError(closed));
    }

    [Fact]
    public async Task OperatorApis_DescribeListAlterAndDeleteAShareGroup()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("ops", partitions: 2);
        await SetGroupConfigsAsync(broker.BootstrapServers, "ops-group", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "ops", 40, partition: 0);
        await ProduceAsync(broker.BootstrapServers, "ops", 10, partition: 1);

        using (var consumer = Consumer(broker.BootstrapServers, "ops-group", "ops-consumer"))
        {
            consumer.Subscribe(["ops"]);
            var accepted = 0;
            PollUntil(consumer, () => accepted >= 30, record =>
            {
                // Partition 0: accept 30 of 40 (in offset order); partition 1 stays unacknowledged (released on close).
                if (record.Partition == 0 && record.Offset < 30)
                {
                    consumer.Acknowledge(record, AcknowledgeType.Accept);
                    accepted++;
                }
                else
                {
                    consumer.Acknowledge(record, AcknowledgeType.Release);
                }
            }, TimeSpan.FromSeconds(60));

            var member = Assert.Single((await DescribeAsync(broker.BootstrapServers, "ops-group")).Members);
            Assert.Equal("ops-consumer", member.ClientId);
            Assert.Equal(["ops"], member.SubscribedTopicNames);
            Assert.Equal([0, 1], Assert.Single(member.Assignment.TopicPartitions).Partitions.Order());
        }

        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
        await connection.SendAsync(new ListGroupsRequest { TypesFilter = ["share"] }, 5);
        var listed = Assert.Single((await connection.ReceiveAsync<ListGroupsResponse>(5)).Groups);
        Assert.Equal(("ops-group", "share", "Empty"), (listed.GroupId, listed.GroupType, listed.GroupState));

        var offsets = await DescribeOffsetsAsync(connection, "ops-group");
        Assert.Equal([(0, 30L, 10L), (1, 0L, 10L)], offsets);

        // Reset partition 0 to 35 while the group is empty: a new member starts there.
        await connection.SendAsync(new AlterShareGroupOffsetsRequest { GroupId = "ops-group", Topics = [new() { TopicName = "ops", Partitions = [new() { PartitionIndex = 0, StartOffset = 35 }] }] }, 0);
        var altered = await connection.ReceiveAsync<AlterShareGroupOffsetsResponse>(0);
        Assert.Equal(ErrorCode.None, (ErrorCode)Assert.Single(Assert.Single(altered.Responses).Partitions).ErrorCode);
        Assert.Equal([(0, 35L, 5L), (1, 0L, 10L)], await DescribeOffsetsAsync(connection, "ops-group"));

        await connection.SendAsync(new DeleteShareGroupOffsetsRequest { GroupId = "ops-group", Topics = [new() { TopicName = "ops" }] }, 0);
        Assert.Equal(ErrorCode.None, (ErrorCode)(await connection.ReceiveAsync<DeleteShareGroupOffsetsResponse>(0)).ErrorCode);
        Assert.Empty(await DescribeOffsetsAsync(connection, "ops-group"));

        await connection.SendAsync(new DeleteGroupsRequest { GroupsNames = ["ops-group"] }, 2);
        Assert.Equal(ErrorCode.None, (ErrorCode)Assert.Single((await connection.ReceiveAsync<DeleteGroupsResponse>(2)).Results).ErrorCode);
        Assert.Equal(ErrorCode.GroupIdNotFound, (ErrorCode)(await DescribeAsync(broker.BootstrapServers, "ops-group")).ErrorCode);
    }

    private static async Task<List<(int Partition, long StartOffset, long Lag)>> DescribeOffsetsAsync(RawKafkaConnection connection, string group)
    {
        await connection.SendAsync(new DescribeShareGroupOffsetsRequest { Groups = [new() { GroupId = group, Topics = null }] }, 1);
        var described = Assert.Single((await connection.ReceiveAsync<DescribeShareGroupOffsetsResponse>(1)).Groups);
        Assert.Equal(ErrorCode.None, (ErrorCode)described.ErrorCode);
        return [.. described.Topics.SelectMany(t => t.Partitions).Select(p => (p.PartitionIndex, p.StartOffset, p.Lag)).Order()];
    }

    private static async Task<ShareFetchResponse> FetchAsync(RawKafkaConnection connection, string? group, string member, int epoch, Guid topicId)
    {
        await connection.SendAsync(new ShareFetchRequest
        {
            GroupId = group,
            MemberId = member,
            ShareSessionEpoch = epoch,
            MaxWaitMs = 100,
            MinBytes = 1,
            MaxRecords = 100,
            BatchSize = 100,
            Topics = [new() { TopicId = topicId, Partitions = [new() { PartitionIndex = 0 }] }],
        }, 1);
        return await connection.ReceiveAsync<ShareFetchResponse>(1);
    }

    private static async Task<ShareAcknowledgeResponse> AcknowledgeAsync(RawKafkaConnection connection, string group, string member, int epoch, Guid topicId, long first, long last, AcknowledgeType type)
    {
        await connection.SendAsync(new ShareAcknowledgeRequest
        {
            GroupId = group,
            MemberId = member,
            ShareSessionEpoch = epoch,
            Topics = [new() { TopicId = topicId, Partitions = [new() { PartitionIndex = 0, AcknowledgementBatches = [new() { FirstOffset = first, LastOffset = last, AcknowledgeTypes = [(sbyte)type] }] }] }],
        }, 1);
        return await connection.ReceiveAsync<ShareAcknowledgeResponse>(1);
    }

    private static ErrorCode PartitionError(ShareAcknowledgeResponse response) =>
        (ErrorCode)Assert.Single(Assert.Single(response.Responses).Partitions).ErrorCode;
}
