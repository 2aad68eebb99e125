using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Xunit.Abstractions;

namespace Wharf.Integration.Tests;

/// <summary>
/// The group and transaction coordinators over replicated internal topics (replication factor 3) in an
/// <see cref="InProcessCluster"/>: when the broker leading a coordinator's partition stops, a follower that holds the
/// replicated log becomes coordinator and serves the committed offsets and the producer's transactional state, so the
/// same producer goes on without duplicates.
/// </summary>
public sealed class CoordinatorFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly (string, string)[] Replicated =
    [
        ("offsets.topic.replication.factor", "3"),
        ("transaction.state.log.replication.factor", "3"),
        ("default.replication.factor", "3"),
    ];

    [Fact]
    public async Task CommittedOffsets_SurviveTheGroupCoordinatorsBroker()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Replicated);
        await CreateTopicAsync(cluster, "offsets-failover", 3);
        const string group = "failover-group";
        using (var member = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = group }).Build())
        {
            member.Commit([.. Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("offsets-failover", p, 10 + p))]);
        }

        var image = cluster[1].Controller.Current;
        var coordinator = CoordinatorOf(image, GroupCoordinator.OffsetsTopic, group);
        Assert.Equal(3, image.TopicsByName[GroupCoordinator.OffsetsTopic].Partitions.Values.First().Replicas.Length);
        output.WriteLine($"stopping broker {coordinator}, the group coordinator");
        await cluster.StopBrokerAsync(coordinator);
        await cluster.WaitForImagesAsync(i => CoordinatorOf(i, GroupCoordinator.OffsetsTopic, group) is var c && c >= 0 && c != coordinator, Timeout);

        using var reader = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = group }).Build();
        var committed = reader.Committed([.. Enumerable.Range(0, 3).Select(p => new TopicPartition("offsets-failover", p))], Timeout);
        Assert.Equal([10L, 11L, 12L], committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value));
    }

    [Fact]
    public async Task TransactionalProducer_GoesOnAfterItsCoordinatorsBrokerStops_WithEveryCommittedRecordOnce()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, Replicated);
        await CreateTopicAsync(cluster, "txn-failover", 3);
        const string transactionalId = "failover-txn";
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            TransactionalId = transactionalId,
            EnableIdempotence = true,
            TransactionTimeoutMs = 30_000,
        }).Build();
        producer.InitTransactions(Timeout);
        producer.BeginTransaction();
        var committed = Produce(producer, "txn-failover", "before", 30);
        producer.CommitTransaction(Timeout);

        var coordinator = CoordinatorOf(cluster[1].Controller.Current, TransactionCoordinator.StateTopic, transactionalId);
        output.WriteLine($"stopping broker {coordinator}, the transaction coordinator");
        await cluster.StopBrokerAsync(coordinator);
        await cluster.WaitForImagesAsync(i => CoordinatorOf(i, TransactionCoordinator.StateTopic, transactionalId) is var c && c >= 0 && c != coordinator, Timeout);

        producer.BeginTransaction();
        committed.AddRange(Produce(producer, "txn-failover", "after", 30));
        producer.CommitTransaction(Timeout);
        producer.BeginTransaction();
        Produce(producer, "txn-failover", "aborted", 9);
        producer.AbortTransaction(Timeout);

        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "txn-failover-reader",
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("txn-failover", p, Offset.Beginning)));
        var read = new List<string>();
        var deadline = DateTime.UtcNow + Timeout;
        while (read.Count < committed.Count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
            {
                read.Add(message.Value);
            }
        }

        // Anything else that arrived (an aborted or duplicated record) would show once the committed ones are in.
        while (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: { } extra })
        {
            read.Add(extra.Value);
        }

        Assert.Equal(committed.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    private static async Task CreateTopicAsync(InProcessCluster cluster, string topic, int partitions)
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 3 }]);
        }

        static bool Ready(MetadataImage image, string name) => image.TryGetTopic(name, out var t) && t.Partitions.Values.All(p => p.Leader >= 0);
        await cluster.WaitForImagesAsync(i => Ready(i, topic), Timeout);
    }

    private static int CoordinatorOf(MetadataImage image, string internalTopic, string key)
    {
        if (!image.TryGetTopic(internalTopic, out var topic))
        {
            return -1;
        }

        return topic.Partitions[GroupCoordinator.PartitionFor(key, topic.PartitionCount)].Leader;
    }

    private static List<string> Produce(IProducer<Null, string> producer, string topic, string prefix, int count)
    {
        var values = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        for (var i = 0; i < count; i++)
        {
            producer.Produce(new TopicPartition(topic, i % 3), new Message<Null, string> { Value = values[i] });
        }

        Assert.Equal(0, producer.Flush(Timeout));
        return values;
    }
}
