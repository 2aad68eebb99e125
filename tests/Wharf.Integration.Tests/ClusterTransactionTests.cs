using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Server;
using Xunit.Abstractions;
using ErrorCode = Wharf.Common.ErrorCode;

namespace Wharf.Integration.Tests;

/// <summary>
/// Transactions whose partitions, transaction coordinator and group coordinator sit on different brokers of a
/// three-broker cluster (<see cref="InProcessCluster"/>), with Confluent.Kafka: produce verification goes to the
/// coordinator (AddPartitionsToTxn v4, verify-only), markers to each partition's leader (WriteTxnMarkers) and offsets
/// markers to the group coordinator's broker; a read_committed consumer must see exactly the committed records. A
/// broker that is down when the transaction commits gets its markers once it is back.
/// </summary>
public sealed class ClusterTransactionTests(ITestOutputHelper output)
{
    private const int Partitions = 12;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Transaction_SpreadOverThreeBrokers_CommitsAndAbortsEveryPartition_AndItsOffsetsReachTheGroupCoordinatorElsewhere()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var image = await PrepareAsync(cluster, "spread", Partitions);
        Assert.Equal(3, image.TopicsByName["spread"].Partitions.Values.Select(p => p.Leader).Distinct().Count());
        var transactionalId = Pick("spread-txn", id => CoordinatorOf(image, TransactionCoordinator.StateTopic, id) != 1);
        var transactionCoordinator = CoordinatorOf(image, TransactionCoordinator.StateTopic, transactionalId);
        var group = Pick("spread-group", g => CoordinatorOf(image, GroupCoordinator.OffsetsTopic, g) != transactionCoordinator);
        output.WriteLine($"transaction coordinator {transactionCoordinator}, group coordinator {CoordinatorOf(image, GroupCoordinator.OffsetsTopic, group)}, producer bootstrap 1");

        var committed = new List<string>();
        using (var producer = NewTransactionalProducer(cluster[1].BootstrapServers, transactionalId))
        {
            producer.InitTransactions(Timeout);
            producer.BeginTransaction();
            committed.AddRange(Produce(producer, "spread", "commit", 120));
            producer.CommitTransaction(Timeout);

            producer.BeginTransaction();
            Produce(producer, "spread", "abort", 60);
            Assert.Equal(0, producer.Flush(Timeout));
            producer.AbortTransaction(Timeout);

            producer.BeginTransaction();
            committed.AddRange(Produce(producer, "spread", "offsets", Partitions));
            using var groupMember = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = cluster[3].BootstrapServers, GroupId = group }).Build();
            var offsets = Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset("spread", p, 100 + p));
            producer.SendOffsetsToTransaction(offsets, groupMember.ConsumerGroupMetadata, Timeout);
            producer.CommitTransaction(Timeout);
        }

        var read = ReadCommitted(cluster[2].BootstrapServers, "spread", Partitions, committed.Count);
        Assert.Equal(committed.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
        using var reader = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = cluster[1].BootstrapServers, GroupId = group }).Build();
        var stored = reader.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition("spread", p)), Timeout);
        Assert.Equal(Enumerable.Range(0, Partitions).Select(p => 100L + p), stored.OrderBy(o => o.Partition.Value).Select(o => o.Offset.Value));
    }

    [Fact]
    public async Task Markers_ForTheLeaderThatIsDownAtCommit_AreRetriedUntilItIsBack()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var image = await PrepareAsync(cluster, "outage", 3);
        var transactionalId = Pick("outage-txn", id => CoordinatorOf(image, TransactionCoordinator.StateTopic, id) != 3);
        var onThree = image.TopicsByName["outage"].Partitions.Values.Where(p => p.Leader == 3).Select(p => p.Partition).ToList();
        Assert.NotEmpty(onThree);
        var bootstrap = cluster[CoordinatorOf(image, TransactionCoordinator.StateTopic, transactionalId)].BootstrapServers;

        List<string> committed;
        using (var producer = NewTransactionalProducer(bootstrap, transactionalId))
        {
            producer.InitTransactions(Timeout);
            producer.BeginTransaction();
            committed = Produce(producer, "outage", "value", 30, partitions: 3);
            Assert.Equal(0, producer.Flush(Timeout));

            await cluster.StopBrokerAsync(3);
            await cluster.WaitForImagesAsync(i => onThree.All(p => i.TopicsByName["outage"].Partitions[p].Leader < 0), Timeout);
            producer.CommitTransaction(Timeout); // answered once PrepareCommit is durable; the markers follow
        }

        var others = Enumerable.Range(0, 3).Except(onThree).ToList();
        var early = ReadCommitted(bootstrap, "outage", 3, committed.Count / 3 * others.Count, others);
        Assert.Equal(committed.Count / 3 * others.Count, early.Count);

        await cluster.StartBrokerAsync(3);
        var read = ReadCommitted(cluster.BootstrapServers, "outage", 3, committed.Count);
        Assert.Equal(committed.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task VerifyOnly_AtTheCoordinator_AnswersPerPartition_AndAnyOtherBrokerIsNotCoordinator()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var image = await PrepareAsync(cluster, "verify", 3);
        var transactionalId = Pick("verify-txn", _ => true);
        var coordinator = CoordinatorOf(image, TransactionCoordinator.StateTopic, transactionalId);
        var stranger = Pick("verify-unknown", id => CoordinatorOf(image, TransactionCoordinator.StateTopic, id) == coordinator);
        using var producer = NewTransactionalProducer(cluster[coordinator].BootstrapServers, transactionalId);
        producer.InitTransactions(Timeout);
        producer.BeginTransaction();
        Produce(producer, "verify", "value", 1, partitions: 1);
        Assert.Equal(0, producer.Flush(Timeout));
        var (error, description) = cluster[coordinator].Transactions.DescribeTransaction(transactionalId);
        Assert.Equal(ErrorCode.None, error);
        var (producerId, epoch) = (description!.Snapshot.ProducerId, description.Snapshot.ProducerEpoch);

        var request = new AddPartitionsToTxnRequest
        {
            Transactions =
            [
                Verify(transactionalId, producerId, epoch, 0, 1),
                Verify(stranger, producerId, epoch, 0),
            ],
        };
        var atCoordinator = await SendAsync<AddPartitionsToTxnResponse>(cluster[coordinator].BootstrapServers, request, 4);
        var stale = await SendAsync<AddPartitionsToTxnResponse>(cluster[coordinator].BootstrapServers, new AddPartitionsToTxnRequest { Transactions = [Verify(transactionalId, producerId, (short)(epoch - 1), 0)] }, 5);
        var elsewhere = await SendAsync<AddPartitionsToTxnResponse>(cluster[coordinator % 3 + 1].BootstrapServers, request, 4);

        Assert.Equal(0, atCoordinator.ErrorCode);
        Assert.Equal([ErrorCode.None, ErrorCode.InvalidTxnState], Results(atCoordinator, transactionalId));
        Assert.Equal([ErrorCode.InvalidTxnState], Results(atCoordinator, stranger));
        Assert.Equal([ErrorCode.InvalidProducerEpoch], Results(stale, transactionalId));
        Assert.Equal([ErrorCode.NotCoordinator, ErrorCode.NotCoordinator], Results(elsewhere, transactionalId));
        producer.AbortTransaction(Timeout);
    }

    private static AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction Verify(string transactionalId, long producerId, short epoch, params int[] partitions) => new()
    {
        TransactionalId = transactionalId,
        ProducerId = producerId,
        ProducerEpoch = epoch,
        VerifyOnly = true,
        Topics = [new() { Name = "verify", Partitions = [.. partitions] }],
    };

    private static ErrorCode[] Results(AddPartitionsToTxnResponse response, string transactionalId) =>
        [.. response.ResultsByTransaction.Single(t => t.TransactionalId == transactionalId).TopicResults.SelectMany(t => t.ResultsByPartition).Select(p => (ErrorCode)p.PartitionErrorCode)];

    private static async Task<T> SendAsync<T>(string bootstrap, IApiMessage request, short version)
        where T : IApiMessage<T>
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        await connection.SendAsync(request, version);
        return await connection.ReceiveAsync<T>(version);
    }

    /// <summary>Creates the internal topics and <paramref name="topic"/>, and waits until every broker sees them all led.</summary>
    private static async Task<MetadataImage> PrepareAsync(InProcessCluster cluster, string topic, int partitions)
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster[2].BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
        }

        // FindCoordinator creates both internal topics through the controller; any broker will do.
        using (var warmup = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = cluster[3].BootstrapServers, GroupId = "warmup" }).Build())
        {
            warmup.Committed([new TopicPartition(topic, 0)], Timeout);
        }

        using (var warmup = NewTransactionalProducer(cluster[1].BootstrapServers, "warmup"))
        {
            warmup.InitTransactions(Timeout);
        }

        static bool Ready(MetadataImage image, string name) => image.TryGetTopic(name, out var t) && t.Partitions.Values.All(p => p.Leader >= 0);
        await cluster.WaitForImagesAsync(i => Ready(i, topic) && Ready(i, GroupCoordinator.OffsetsTopic) && Ready(i, TransactionCoordinator.StateTopic), Timeout);
        return cluster[1].Controller.Current;
    }

    private static int CoordinatorOf(MetadataImage image, string internalTopic, string key)
    {
        var topic = image.TopicsByName[internalTopic];
        return topic.Partitions[GroupCoordinator.PartitionFor(key, topic.PartitionCount)].Leader;
    }

    private static string Pick(string prefix, Func<string, bool> fits) =>
        Enumerable.Range(0, 1000).Select(i => $"{prefix}-{i}").First(fits);

    private static List<string> Produce(IProducer<Null, string> producer, string topic, string prefix, int count, int partitions = Partitions)
    {
        var values = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        for (var i = 0; i < count; i++)
        {
            producer.Produce(new TopicPartition(topic, i % partitions), new Message<Null, string> { Value = values[i] });
        }

        return values;
    }

    private static IProducer<Null, string> NewTransactionalProducer(string bootstrap, string transactionalId) =>
        new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = transactionalId,
            LingerMs = 5,
            TransactionTimeoutMs = 60_000,
            MessageTimeoutMs = 30_000,
            RetryBackoffMs = 50,
        }).Build();

    /// <summary>Reads <paramref name="only"/> (default all) partitions from the start, read_committed, until <paramref name="expected"/> came and nothing more for 2 s.</summary>
    private static List<string> ReadCommitted(string bootstrap, string topic, int partitions, int expected, IReadOnlyList<int>? only = null)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).Build();
        consumer.Assign((only ?? Enumerable.Range(0, partitions).ToList()).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<string>();
        var quietSince = DateTime.UtcNow;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && (values.Count < expected || DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(2)))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is not null)
            {
                quietSince = DateTime.UtcNow;
                values.Add(result.Message.Value);
            }
        }

        return values;
    }
}
