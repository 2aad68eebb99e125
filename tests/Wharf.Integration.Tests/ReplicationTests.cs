using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Metadata;
using Xunit.Abstractions;

namespace Wharf.Integration.Tests;

/// <summary>
/// Replication across the brokers of an <see cref="InProcessCluster"/> with Confluent.Kafka: with replication factor 3
/// every acknowledged (acks=all) record is on every in-sync replica, the followers' logs end where the leader's does,
/// and when the leader stops a follower takes over with every acknowledged record.
/// </summary>
public sealed class ReplicationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AcksAll_ReachesEveryReplica_AndTheNextLeaderServesEveryAcknowledgedRecord()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        await CreateTopicAsync(cluster, "replicated", partitions: 3, replicationFactor: 3, minInsync: 2);
        var acknowledged = await ProduceAsync(cluster.BootstrapServers, "replicated", "first", 300);

        // Every replica of every partition holds what the leader acknowledged.
        var image = cluster[1].Controller.Current;
        foreach (var partition in image.TopicsByName["replicated"].Partitions.Values)
        {
            var leader = cluster[partition.Leader].Replicas.GetPartition(new("replicated", partition.Partition))!;
            Assert.True(leader.HighWatermark == leader.LogEndOffset, $"partition {partition.Partition}: high watermark {leader.HighWatermark} below log end {leader.LogEndOffset}");
            foreach (var replica in partition.Replicas)
            {
                var copy = cluster[replica].Replicas.GetPartition(new("replicated", partition.Partition))!;
                Assert.True(copy.LogEndOffset >= leader.HighWatermark, $"partition {partition.Partition}: replica {replica} ends at {copy.LogEndOffset}, below the high watermark {leader.HighWatermark}");
            }
        }

        var leaderOfZero = image.TopicsByName["replicated"].Partitions[0].Leader;
        output.WriteLine($"stopping broker {leaderOfZero}, leader of partition 0");
        await cluster.StopBrokerAsync(leaderOfZero);
        await cluster.WaitForImagesAsync(i => i.TopicsByName["replicated"].Partitions.Values.All(p => p.Leader >= 0 && p.Leader != leaderOfZero), Timeout);

        acknowledged.AddRange(await ProduceAsync(cluster.BootstrapServers, "replicated", "second", 90));
        var read = Consume(cluster.BootstrapServers, "replicated", 3, acknowledged.Count);
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReturningBroker_CatchesUp_AndRejoinsTheIsr()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        await CreateTopicAsync(cluster, "rejoin", partitions: 1, replicationFactor: 3, minInsync: 2);
        var leader = cluster[1].Controller.Current.TopicsByName["rejoin"].Partitions[0].Leader;
        var follower = leader % 3 + 1;
        await cluster.StopBrokerAsync(follower);
        await cluster.WaitForImagesAsync(i => !i.TopicsByName["rejoin"].Partitions[0].Isr.Contains(follower), Timeout);

        // With two of three in sync, acks=all still succeeds (min.insync.replicas=2).
        var acknowledged = await ProduceAsync(cluster.BootstrapServers, "rejoin", "while-away", 50);

        await cluster.StartBrokerAsync(follower);
        await cluster.WaitForImagesAsync(i => i.TopicsByName["rejoin"].Partitions[0].Isr.Contains(follower), Timeout);
        var copy = cluster[follower].Replicas.GetPartition(new("rejoin", 0))!;
        Assert.True(copy.LogEndOffset >= acknowledged.Count, $"the returning replica ends at {copy.LogEndOffset}, before the {acknowledged.Count} acknowledged records");
    }

    [Fact]
    public async Task TooFewInSyncReplicas_RefuseAcksAll_WithNotEnoughReplicas()
    {
        await using var cluster = await InProcessCluster.StartAsync(2);
        await CreateTopicAsync(cluster, "strict", partitions: 1, replicationFactor: 2, minInsync: 2);
        var leader = cluster[1].Controller.Current.TopicsByName["strict"].Partitions[0].Leader;
        await cluster.StopBrokerAsync(3 - leader);
        await cluster.WaitForImagesAsync(i => i.TopicsByName["strict"].Partitions[0].Isr.Length == 1, Timeout);

        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            Acks = Acks.All,
            MessageTimeoutMs = 3000,
            EnableIdempotence = false,
            MessageSendMaxRetries = 0,
        }).Build();
        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("strict", new Message<Null, string> { Value = "refused" }));
        Assert.Equal(Confluent.Kafka.ErrorCode.NotEnoughReplicas, failure.Error.Code);
        Assert.Equal(0, cluster[leader].Replicas.GetPartition(new("strict", 0))!.LogEndOffset);
    }

    private static async Task CreateTopicAsync(InProcessCluster cluster, string topic, int partitions, short replicationFactor, int minInsync)
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = partitions,
                ReplicationFactor = replicationFactor,
                Configs = new() { ["min.insync.replicas"] = minInsync.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }]);
        }

        static bool Ready(MetadataImage image, string name) => image.TryGetTopic(name, out var t) && t.Partitions.Values.All(p => p.Leader >= 0);
        await cluster.WaitForImagesAsync(i => Ready(i, topic), Timeout);
    }

    private static async Task<List<string>> ProduceAsync(string bootstrap, string topic, string prefix, int count)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All, EnableIdempotence = true, LingerMs = 5 }).Build();
        var sends = Enumerable.Range(0, count).Select(i => producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"{prefix}-{i}" })).ToList();
        var results = await Task.WhenAll(sends);
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        return [.. results.Select(r => r.Message.Value)];
    }

    private static List<string> Consume(string bootstrap, string topic, int partitions, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"reader-{Guid.NewGuid():N}", EnableAutoCommit = false }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var read = new List<string>();
        var deadline = DateTime.UtcNow + Timeout;
        while (read.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
            {
                read.Add(message.Value);
            }
        }

        return read;
    }
}
