using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Server.Handlers;

namespace Wharf.Server.Tests;

/// <summary>
/// Handlers route by the metadata image: a partition led by another broker answers NOT_LEADER_OR_FOLLOWER — with
/// KIP-951's current leader and its endpoint where the version has them — and an unknown one
/// UNKNOWN_TOPIC_OR_PARTITION, as Kafka does. Node 1's view of a two-broker cluster (<see cref="ClusterView"/>).
/// </summary>
public sealed class NotLeaderRoutingTests : IDisposable
{
    private readonly ClusterView _cluster = new();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task Produce_ToPartitionsLedElsewhere_IsNotLeaderOrFollower_WithTheCurrentLeaderAndItsEndpoint()
    {
        var handler = new ProduceHandler(_cluster.Replicas, NullLogger<ProduceHandler>.Instance);
        var request = new ProduceRequest
        {
            Acks = 1,
            TimeoutMs = 1000,
            TopicData =
            [
                new() { Name = ClusterView.Topic, PartitionData = [.. new[] { 0, 1, 2, 3 }.Select(i => new ProduceRequest.PartitionProduceData { Index = i, Records = ClusterView.Batch() })] },
                new() { Name = "unknown", PartitionData = [new() { Index = 0, Records = ClusterView.Batch() }] },
            ],
        };

        var response = ClusterView.RoundTrip((await handler.HandleAsync(ClusterView.Context(ApiKey.Produce, 10), request, default))!, 10);

        var partitions = response.Responses[0].PartitionResponses.ToDictionary(p => p.Index);
        Assert.Equal((short)ErrorCode.None, partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partitions[1].ErrorCode);
        Assert.Equal((2, 7), (partitions[1].CurrentLeader.LeaderId, partitions[1].CurrentLeader.LeaderEpoch));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partitions[2].ErrorCode);
        Assert.Equal((2, 3), (partitions[2].CurrentLeader.LeaderId, partitions[2].CurrentLeader.LeaderEpoch));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, partitions[3].ErrorCode);
        Assert.Equal(-1, partitions[3].CurrentLeader.LeaderId);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses[1].PartitionResponses[0].ErrorCode);
        var endpoint = Assert.Single(response.NodeEndpoints);
        Assert.Equal((2, "broker2", 9093, "rack-b"), (endpoint.NodeId, endpoint.Host, endpoint.Port, endpoint.Rack));
        Assert.Equal(0, _cluster.Replicas.GetPartition(new TopicPartition(ClusterView.Topic, 2))!.LogEndOffset);
    }

    [Fact]
    public async Task Produce_BeforeVersion10_IsNotLeaderOrFollower_WithoutHints()
    {
        var handler = new ProduceHandler(_cluster.Replicas, NullLogger<ProduceHandler>.Instance);
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 1000, TopicData = [new() { Name = ClusterView.Topic, PartitionData = [new() { Index = 1, Records = ClusterView.Batch() }] }] };

        var response = ClusterView.RoundTrip((await handler.HandleAsync(ClusterView.Context(ApiKey.Produce, 9), request, default))!, 9);

        var partition = response.Responses[0].PartitionResponses[0];
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partition.ErrorCode);
        Assert.Equal(-1, partition.CurrentLeader.LeaderId);
        Assert.Empty(response.NodeEndpoints);
    }

    [Fact]
    public async Task Fetch_FromAPartitionLedElsewhere_IsNotLeaderOrFollower_WithTheCurrentLeaderFromVersion12()
    {
        var handler = new FetchHandler(_cluster.Replicas);
        var request = new FetchRequest
        {
            MaxWaitMs = 0,
            MinBytes = 1,
            Topics = [new() { Topic = ClusterView.Topic, Partitions = [.. new[] { 0, 1, 2 }.Select(i => new FetchRequest.FetchPartition { Partition = i, PartitionMaxBytes = 1 << 20 })] }],
        };

        var current = ClusterView.RoundTrip((await handler.HandleAsync(ClusterView.Context(ApiKey.Fetch, 12), request, default))!, 12);
        var old = ClusterView.RoundTrip((await handler.HandleAsync(ClusterView.Context(ApiKey.Fetch, 11), request, default))!, 11);

        var partitions = current.Responses[0].Partitions.ToDictionary(p => p.PartitionIndex);
        Assert.Equal((short)ErrorCode.None, partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partitions[1].ErrorCode);
        Assert.Equal((2, 7), (partitions[1].CurrentLeader.LeaderId, partitions[1].CurrentLeader.LeaderEpoch));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partitions[2].ErrorCode);
        Assert.Equal((2, 3), (partitions[2].CurrentLeader.LeaderId, partitions[2].CurrentLeader.LeaderEpoch));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, old.Responses[0].Partitions[1].ErrorCode);
        Assert.Equal(-1, old.Responses[0].Partitions[1].CurrentLeader.LeaderId);
    }

    [Theory]
    [InlineData(3, ErrorCode.FencedLeaderEpoch)]
    [InlineData(5, ErrorCode.UnknownLeaderEpoch)]
    [InlineData(4, ErrorCode.None)]
    public async Task Fetch_WithACurrentLeaderEpoch_IsCheckedAgainstThePartitions(int epoch, ErrorCode expected)
    {
        var handler = new FetchHandler(_cluster.Replicas);
        var request = new FetchRequest
        {
            MaxWaitMs = 0,
            Topics = [new() { Topic = ClusterView.Topic, Partitions = [new() { Partition = 0, CurrentLeaderEpoch = epoch, PartitionMaxBytes = 1 << 20 }] }],
        };

        var response = (await handler.HandleAsync(ClusterView.Context(ApiKey.Fetch, 12), request, default))!;

        Assert.Equal((short)expected, response.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task ListOffsets_RoutesByTheImage_AndChecksTheLeaderEpoch()
    {
        var handler = new ListOffsetsHandler(_cluster.Replicas);
        var request = new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics =
            [
                new()
                {
                    Name = ClusterView.Topic,
                    Partitions =
                    [
                        new() { PartitionIndex = 0, Timestamp = -1, CurrentLeaderEpoch = 4 },
                        new() { PartitionIndex = 1, Timestamp = -1 },
                        new() { PartitionIndex = 2, Timestamp = -2 },
                        new() { PartitionIndex = 3, Timestamp = -1 },
                    ],
                },
            ],
        };

        var response = (await handler.HandleAsync(ClusterView.Context(ApiKey.ListOffsets, 7), request, default))!;
        var legacy = (await handler.HandleAsync(ClusterView.Context(ApiKey.ListOffsets, 0), request, default))!;

        Assert.Equal(
            [ErrorCode.None, ErrorCode.NotLeaderOrFollower, ErrorCode.NotLeaderOrFollower, ErrorCode.UnknownTopicOrPartition],
            response.Topics[0].Partitions.Select(p => (ErrorCode)p.ErrorCode));
        Assert.Equal(4, response.Topics[0].Partitions[0].LeaderEpoch);
        Assert.Equal(
            [ErrorCode.None, ErrorCode.NotLeaderOrFollower, ErrorCode.NotLeaderOrFollower, ErrorCode.UnknownTopicOrPartition],
            legacy.Topics[0].Partitions.Select(p => (ErrorCode)p.ErrorCode));
    }

    [Fact]
    public async Task DeleteRecordsAndDescribeProducers_OnlyTheLeaderAnswers()
    {
        var deleteRecords = new DeleteRecordsHandler(_cluster.Replicas);
        var describeProducers = new DescribeProducersHandler(_cluster.Replicas);

        var deleted = (await deleteRecords.HandleAsync(
            ClusterView.Context(ApiKey.DeleteRecords, 2),
            new DeleteRecordsRequest { Topics = [new() { Name = ClusterView.Topic, Partitions = [.. Enumerable.Range(0, 4).Select(i => new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = i, Offset = -1 })] }] },
            default))!;
        var described = (await describeProducers.HandleAsync(
            ClusterView.Context(ApiKey.DescribeProducers, 0),
            new DescribeProducersRequest { Topics = [new() { Name = ClusterView.Topic, PartitionIndexes = [0, 1, 2, 3] }] },
            default))!;

        ErrorCode[] expected = [ErrorCode.None, ErrorCode.NotLeaderOrFollower, ErrorCode.NotLeaderOrFollower, ErrorCode.UnknownTopicOrPartition];
        Assert.Equal(expected, deleted.Topics[0].Partitions.Select(p => (ErrorCode)p.ErrorCode));
        Assert.Equal(expected, described.Topics[0].Partitions.Select(p => (ErrorCode)p.ErrorCode));
    }
}
