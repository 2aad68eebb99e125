using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ErrorCode = Wharf.Common.ErrorCode;
using Wharf.Protocol.Messages;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>DescribeTopicPartitions (KIP-966) over a real socket: partitions in order, paging by cursor, unknown topics.</summary>
public sealed class DescribeTopicPartitionsTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.BootstrapServers }).Build();
        await admin.CreateTopicsAsync([
            new TopicSpecification { Name = "a-five", NumPartitions = 5, ReplicationFactor = 1 },
            new TopicSpecification { Name = "b-two", NumPartitions = 2, ReplicationFactor = 1 },
        ]);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Pages_FollowTheCursor_UntilEveryPartitionWasDescribedOnce()
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        var seen = new List<(string Topic, int Partition)>();
        var request = new DescribeTopicPartitionsRequest { Topics = [new() { Name = "b-two" }, new() { Name = "a-five" }], ResponsePartitionLimit = 3 };
        var pages = 0;
        while (true)
        {
            await connection.SendAsync(request, 0);
            var response = await connection.ReceiveAsync<DescribeTopicPartitionsResponse>(0);
            pages++;
            foreach (var topic in response.Topics)
            {
                Assert.Equal((short)ErrorCode.None, topic.ErrorCode);
                seen.AddRange(topic.Partitions.Select(p => (topic.Name!, p.PartitionIndex)));
                Assert.All(topic.Partitions, p => Assert.Equal((_broker.Config.NodeId, $"{_broker.Config.NodeId}"), (p.LeaderId, string.Join(",", p.ReplicaNodes))));
            }

            if (response.NextCursor is null)
            {
                break;
            }

            request.Cursor = new() { TopicName = response.NextCursor.TopicName, PartitionIndex = response.NextCursor.PartitionIndex };
        }

        Assert.Equal(3, pages);
        Assert.Equal([("a-five", 0), ("a-five", 1), ("a-five", 2), ("a-five", 3), ("a-five", 4), ("b-two", 0), ("b-two", 1)], seen);
    }

    [Fact]
    public async Task UnknownTopic_IsReportedPerTopic()
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await connection.SendAsync(new DescribeTopicPartitionsRequest { Topics = [new() { Name = "nope" }, new() { Name = "b-two" }] }, 0);
        var response = await connection.ReceiveAsync<DescribeTopicPartitionsResponse>(0);

        Assert.Equal([("b-two", ErrorCode.None, 2), ("nope", ErrorCode.UnknownTopicOrPartition, 0)],
            response.Topics.Select(t => (t.Name!, (ErrorCode)t.ErrorCode, t.Partitions.Count)));
    }
}
