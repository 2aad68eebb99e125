using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>Confluent.Kafka's admin client: configs, partitions, DeleteRecords, cluster description, persistence.</summary>
public sealed class AdminTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;
    private IAdminClient _admin = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        _admin = NewAdmin();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task DescribeConfigs_ListsEveryTopicConfigWithSources()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "cfg", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "3600000" } }]);
        var described = (await _admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "cfg" }]))[0];

        Assert.Equal("3600000", described.Entries["retention.ms"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, described.Entries["retention.ms"].Source);
        Assert.Equal("1209600000", RetentionDefault());
        Assert.Equal(ConfigSource.DefaultConfig, described.Entries["segment.bytes"].Source);
        Assert.Contains("cleanup.policy", described.Entries.Keys);
        Assert.Contains("max.message.bytes", described.Entries.Keys);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_SetsAndDeletesOverrides_AndTheLogFollows()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "alter", NumPartitions = 1, ReplicationFactor = 1 }]);
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = "alter" };
        await _admin.IncrementalAlterConfigsAsync(new() { [resource] = [new ConfigEntry { Name = "max.message.bytes", Value = "2048", IncrementalOperation = AlterConfigOpType.Set }] });
        Assert.Equal("2048", (await _admin.DescribeConfigsAsync([resource]))[0].Entries["max.message.bytes"].Value);

        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, MessageSendMaxRetries = 0 }).Build())
        {
            var error = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("alter", new Message<Null, string> { Value = new string('x', 10_000) }));
            Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
        }

        await _admin.IncrementalAlterConfigsAsync(new() { [resource] = [new ConfigEntry { Name = "max.message.bytes", IncrementalOperation = AlterConfigOpType.Delete }] });
        Assert.Equal(ConfigSource.DefaultConfig, (await _admin.DescribeConfigsAsync([resource]))[0].Entries["max.message.bytes"].Source);

        var bad = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => _admin.IncrementalAlterConfigsAsync(
            new() { [resource] = [new ConfigEntry { Name = "retention.mss", Value = "1", IncrementalOperation = AlterConfigOpType.Set }] }));
        Assert.Equal(ErrorCode.InvalidConfig, bad.Results[0].Error.Code);
    }

    [Fact]
    public async Task CreatePartitions_GrowsATopic_AndTheNewPartitionsTakeWrites()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "grow", NumPartitions = 1, ReplicationFactor = 1 }]);
        await _admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "grow", IncreaseTo = 4 }]);
        Assert.Equal(4, _admin.GetMetadata("grow", TimeSpan.FromSeconds(10)).Topics[0].Partitions.Count);

        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build();
        var delivered = await producer.ProduceAsync(new TopicPartition("grow", 3), new Message<Null, string> { Value = "p3" });
        Assert.Equal(0, delivered.Offset.Value);

        var shrink = await Assert.ThrowsAsync<CreatePartitionsException>(() => _admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "grow", IncreaseTo = 2 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, shrink.Results[0].Error.Code);
    }

    [Fact]
    public async Task DeleteRecords_MovesTheLowWatermark_AndConsumersStartThere()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "trim", NumPartitions = 1, ReplicationFactor = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync("trim", new Message<Null, string> { Value = $"m{i}" });
            }
        }

        var result = await _admin.DeleteRecordsAsync([new TopicPartitionOffset("trim", 0, 6)]);
        Assert.Equal(6, result[0].Offset.Value);

        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "unused", EnableAutoCommit = false }).Build();
        Assert.Equal(6, consumer.QueryWatermarkOffsets(new TopicPartition("trim", 0), TimeSpan.FromSeconds(10)).Low.Value);
        consumer.Assign(new TopicPartitionOffset("trim", 0, Offset.Beginning));
        Assert.Equal("m6", consumer.Consume(TimeSpan.FromSeconds(10))!.Message.Value);
    }

    [Fact]
    public async Task DescribeCluster_NamesThisBrokerAsController()
    {
        var cluster = await _admin.DescribeClusterAsync();
        Assert.Equal(_broker.Controller.Current.ClusterId, cluster.ClusterId);
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal(cluster.Controller!.Id, node.Id);
        Assert.Equal(_broker.BootstrapServers, $"{node.Host}:{node.Port}");
    }

    [Fact]
    public async Task Restart_KeepsTopicsConfigsAndClusterId()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "kept", NumPartitions = 3, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } }]);
        var clusterId = _broker.Controller.Current.ClusterId;
        _admin.Dispose();

        await _broker.RestartAsync();
        _admin = NewAdmin();

        Assert.Equal(clusterId, _broker.Controller.Current.ClusterId);
        Assert.Equal(3, _admin.GetMetadata("kept", TimeSpan.FromSeconds(10)).Topics[0].Partitions.Count);
        var described = (await _admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "kept" }]))[0];
        Assert.Equal("compact", described.Entries["cleanup.policy"].Value);
    }

    private string RetentionDefault() => _broker.Controller.Config.LogRetentionMs.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private IAdminClient NewAdmin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.BootstrapServers }).Build();
}
