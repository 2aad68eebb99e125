using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Cluster.Tests.Infrastructure;
using Wharf.Protocol.Messages;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Admin requests sent to a broker that is not the controller are forwarded to it, as Kafka brokers forward to KRaft.
/// Sent raw: Confluent.Kafka and KafkaJS address CreateTopics, CreatePartitions and DeleteTopics to the controller
/// themselves, so only a raw connection to another broker shows the forwarding. Without it, the broker would answer
/// NOT_CONTROLLER. The effect is then checked on a third broker and through Confluent.Kafka.
/// </summary>
[Collection(SharedClusterCollection.Name)]
public sealed class AdminForwardingTests(SharedClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const sbyte TopicResource = 2;
    private const sbyte SetOperation = 0;
    private readonly WharfCluster _cluster = fixture.Cluster;
    private readonly ClusterLogs _logs = new(output, fixture.Cluster);

    public void Dispose() => _logs.Dispose();

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task CreateAlterGrowAndDelete_SentToANonControllerBroker_TakeEffectClusterWide()
    {
        var controller = await _cluster.ControllerIdAsync();
        var via = _cluster.NodeIds.First(n => n != controller);
        var observer = _cluster.BootstrapServersOf(_cluster.NodeIds.First(n => n != controller && n != via));
        var broker = _cluster.BootstrapServersOf(via);
        var topic = TestClusters.Name("forwarded");
        output.WriteLine($"controller {controller}; requests go to broker {via}");

        var created = await BrokerQuery.SendAsync<CreateTopicsResponse>(
            broker, new CreateTopicsRequest { Topics = [new() { Name = topic, NumPartitions = 3, ReplicationFactor = 1 }], timeoutMs = 10_000 }, 4);
        Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
        await WaitForPartitionsAsync(observer, topic, 3);

        var grown = await BrokerQuery.SendAsync<CreatePartitionsResponse>(
            broker, new CreatePartitionsRequest { Topics = [new() { Name = topic, Count = 6, Assignments = null }], TimeoutMs = 10_000 }, 3);
        Assert.Equal(0, Assert.Single(grown.Results).ErrorCode);
        await WaitForPartitionsAsync(observer, topic, 6);

        var altered = await BrokerQuery.SendAsync<IncrementalAlterConfigsResponse>(
            broker,
            new IncrementalAlterConfigsRequest
            {
                Resources = [new() { ResourceType = TopicResource, ResourceName = topic, Configs = [new() { Name = "retention.ms", ConfigOperation = SetOperation, Value = "4321000" }] }],
            },
            1);
        Assert.Equal(0, Assert.Single(altered.Responses).ErrorCode);
        using (var admin = Clients.Admin(observer))
        {
            var retention = "";
            await Wait.UntilAsync(
                async () =>
                {
                    var described = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = topic }]);
                    retention = described[0].Entries["retention.ms"].Value;
                    return retention == "4321000";
                },
                "retention.ms to read 4321000 on another broker",
                () => retention);
        }

        var deleted = await BrokerQuery.SendAsync<DeleteTopicsResponse>(broker, new DeleteTopicsRequest { TopicNames = [topic], TimeoutMs = 10_000 }, 5);
        Assert.Equal(0, Assert.Single(deleted.Responses).ErrorCode);
        BrokerAnswer? last = null;
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var node in _cluster.NodeIds)
                {
                    last = await BrokerQuery.MetadataAsync(_cluster.BootstrapServersOf(node), topic);
                    if (last.TopicError != (short)Wharf.Common.ErrorCode.UnknownTopicOrPartition)
                    {
                        return false;
                    }
                }

                return true;
            },
            "every broker to forget the deleted topic",
            () => last?.ToString() ?? "nothing");
    }

    private static async Task WaitForPartitionsAsync(string broker, string topic, int count)
    {
        BrokerAnswer? last = null;
        await Wait.UntilAsync(
            async () =>
            {
                last = await BrokerQuery.MetadataAsync(broker, topic);
                return last.TopicError == 0 && last.Leaders.Count == count && last.Leaders.Values.All(l => l != -1);
            },
            $"{count} led partitions of {topic} on {broker}",
            () => last?.ToString() ?? "nothing");
    }
}
