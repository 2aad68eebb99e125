using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf.Integration.Tests;

/// <summary>
/// Removal once consumed (<c>retention.consumed.groups</c>) with real clients: a topic's segments stay while any
/// listed group has not committed past them, and go — on disk, and from the log start offset clients see — once every
/// listed group has. Retention is driven by the test: the tracker's refresh is awaited, then one retention pass runs.
/// </summary>
public sealed class ConsumedRetentionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Each 300-byte record is its own batch (~370 bytes), so a 1024-byte segment holds two.</summary>
    private const int Records = 20;

    [Fact]
    public async Task Segments_StayUntilEveryListedGroupHasCommittedPastThem()
    {
        await using var broker = await InProcessBroker.StartAsync();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = "queue", NumPartitions = 1, ReplicationFactor = 1,
                Configs = new() { ["segment.bytes"] = "1024", ["retention.consumed.groups"] = "g1,g2" },
            }]);
        }

        await ProduceAsync(broker.BootstrapServers, "queue");
        var log = broker.Broker.Replicas.Logs.GetLog(new("queue", 0))!;
        var segments = SegmentFiles(log.Directory);
        Assert.True(segments >= 8, $"{segments} segments");

        Commit(broker.BootstrapServers, "g1", "queue", Records);

        Assert.Equal(0, await RetentionPassAsync(broker.Broker));
        Assert.Equal(segments, SegmentFiles(log.Directory));
        Assert.Equal(0, LowWatermark(broker.BootstrapServers, "queue"));

        Commit(broker.BootstrapServers, "g2", "queue", 10);

        Assert.True(await RetentionPassAsync(broker.Broker) > 0, "nothing was deleted once both groups had committed");
        var logStart = LowWatermark(broker.BootstrapServers, "queue");
        Assert.InRange(logStart, 1, 10);
        Assert.Equal(logStart, log.LogStartOffset);
        Assert.Equal(logStart, log.SegmentBaseOffsets[0]);
        Assert.True(SegmentFiles(log.Directory) < segments, "no segment file left the disk");
        Assert.Equal(logStart, FirstOffsetFromTheBeginning(broker.BootstrapServers, "queue"));
    }

    [Fact]
    public async Task Segments_Stay_WhileAListedGroupHasCommittedNothing_OrTheKeyIsNotSet()
    {
        await using var broker = await InProcessBroker.StartAsync();
        await broker.CreateTopicAsync("one-group", 1, ("segment.bytes", "1024"), ("retention.consumed.groups", "g1,never"));
        await broker.CreateTopicAsync("no-groups", 1, ("segment.bytes", "1024"));
        await ProduceAsync(broker.BootstrapServers, "one-group");
        await ProduceAsync(broker.BootstrapServers, "no-groups");

        Commit(broker.BootstrapServers, "g1", "one-group", Records);
        Commit(broker.BootstrapServers, "g1", "no-groups", Records);

        Assert.Equal(0, await RetentionPassAsync(broker.Broker));
        Assert.Null(broker.Broker.ConsumedOffsets.ConsumedOffset(new("one-group", 0)));
        Assert.Null(broker.Broker.ConsumedOffsets.ConsumedOffset(new("no-groups", 0)));
    }

    /// <summary>
    /// The queue's leader is broker 1; one listed group's coordinator is broker 1 (asked in-process), the other's broker
    /// 2 (asked with OffsetFetch over the network).
    /// </summary>
    [Fact]
    public async Task Segments_Go_OnceAGroupCoordinatedByAnotherBrokerHasCommittedPastThem()
    {
        await using var cluster = await InProcessCluster.StartAsync(2);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "queue", NumPartitions = 1, ReplicationFactor = -1, ReplicasAssignments = new() { [0] = [1] }, Configs = new() { ["segment.bytes"] = "1024" },
        }]);
        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("queue", 0), out var p) && p.Leader == 1, Timeout);
        await ProduceAsync(cluster.BootstrapServers, "queue");
        Commit(cluster.BootstrapServers, "probe", "queue", 0); // creates __consumer_offsets
        await cluster.WaitForImagesAsync(i => i.TryGetTopic(GroupCoordinator.OffsetsTopic, out var t) && t.Partitions.Values.All(p => p.Leader > 0), Timeout);
        var local = GroupCoordinatedBy(cluster[1].Controller.Current, 1);
        var remote = GroupCoordinatedBy(cluster[1].Controller.Current, 2);
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = "queue" };
        await admin.IncrementalAlterConfigsAsync(new() { [resource] = [new ConfigEntry { Name = "retention.consumed.groups", Value = $"{local},{remote}", IncrementalOperation = AlterConfigOpType.Set }] });
        await cluster.WaitForImagesAsync(i => i.GetTopicConfigs("queue").ContainsKey("retention.consumed.groups"), Timeout);
        var log = cluster[1].Replicas.Logs.GetLog(new("queue", 0))!;

        Commit(cluster.BootstrapServers, local, "queue", Records);

        Assert.Equal(0, await RetentionPassAsync(cluster[1]));
        Assert.Equal(0, log.LogStartOffset);

        Commit(cluster.BootstrapServers, remote, "queue", 10);

        Assert.True(await RetentionPassAsync(cluster[1]) > 0, "nothing was deleted once the remote group had committed");
        Assert.InRange(log.LogStartOffset, 1, 10);
        Assert.Equal(log.LogStartOffset, LowWatermark(cluster.BootstrapServers, "queue"));
    }

    /// <summary>One refresh of the consumed offsets, then one retention pass; returns the segments deleted.</summary>
    private static async Task<int> RetentionPassAsync(KafkaBroker broker)
    {
        await broker.ConsumedOffsets.RefreshAsync().WaitAsync(Timeout);
        return broker.Replicas.Logs.RunRetention();
    }

    private static async Task ProduceAsync(string bootstrap, string topic)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All, LingerMs = 0 }).Build();
        for (var i = 0; i < Records; i++)
        {
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"{i:D3}" + new string('x', 297) });
        }
    }

    /// <summary>Commits <paramref name="offset"/> for the group (a simple commit, no membership) and checks it reads back.</summary>
    private static void Commit(string bootstrap, string group, string topic, long offset)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false }).Build();
        consumer.Commit([new TopicPartitionOffset(topic, 0, offset)]);
        Assert.Equal(offset, consumer.Committed([new TopicPartition(topic, 0)], Timeout)[0].Offset.Value);
    }

    private static long LowWatermark(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "watermarks" }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout).Low.Value;
    }

    /// <summary>A consumer asking for offset 0, below the log start, is reset to the earliest offset left.</summary>
    private static long FirstOffsetFromTheBeginning(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "late-reader",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, 0));
        using var deadline = new CancellationTokenSource(Timeout);
        return consumer.Consume(deadline.Token).Offset.Value;
    }

    private static int SegmentFiles(string directory) => Directory.EnumerateFiles(directory).Count(f => f.EndsWith(".log", StringComparison.Ordinal));

    /// <summary>A group id whose <c>__consumer_offsets</c> partition broker <paramref name="nodeId"/> leads.</summary>
    private static string GroupCoordinatedBy(MetadataImage image, int nodeId)
    {
        var offsets = image.TopicsByName[GroupCoordinator.OffsetsTopic];
        return Enumerable.Range(0, 1000).Select(i => $"queue-reader-{i}")
            .First(group => offsets.Partitions[GroupCoordinator.PartitionFor(group, offsets.PartitionCount)].Leader == nodeId);
    }
}
