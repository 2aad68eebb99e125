using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cluster.Tests.Infrastructure;

/// <summary>Confluent.Kafka (librdkafka 2.16) set up the way these tests use it. Thread-safety: stateless.</summary>
public static class Clients
{
    public static IAdminClient Admin(string bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();

    /// <summary>An idempotent producer (acks=all) that gives up on a record after 30 s.</summary>
    public static IProducer<string, string> Producer(string bootstrap, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            MessageTimeoutMs = 30_000,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<string, string>(config).Build();
    }

    public static IConsumer<string, string> Consumer(string bootstrap, string group, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 10_000,
        };
        configure?.Invoke(config);
        return new ConsumerBuilder<string, string>(config).Build();
    }

    public static async Task CreateTopicAsync(string bootstrap, string topic, int partitions, short replicationFactor = 1)
    {
        using var admin = Admin(bootstrap);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = replicationFactor }]);
    }

    /// <summary>
    /// Creates <paramref name="topic"/> with replication factor 3 and <c>min.insync.replicas</c>
    /// <paramref name="minInsync"/>, and waits until <paramref name="broker"/> names a leader for every partition; returns
    /// that broker's answer.
    /// </summary>
    public static async Task<BrokerAnswer> CreateReplicatedTopicAsync(string bootstrap, string broker, string topic, int partitions, int minInsync = 2)
    {
        using (var admin = Admin(bootstrap))
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = partitions,
                ReplicationFactor = 3,
                Configs = new() { ["min.insync.replicas"] = minInsync.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }]);
        }

        BrokerAnswer? answer = null;
        await Wait.UntilAsync(async () => (answer = await BrokerQuery.MetadataAsync(broker, topic)).Leaders.Values.All(l => l >= 0),
            $"leaders for every partition of {topic}", () => answer?.ToString() ?? "nothing");
        return answer!;
    }

    /// <summary>Partition → leader node id of <paramref name="topic"/>, from a Metadata request the client sends.</summary>
    public static IReadOnlyDictionary<int, int> Leaders(IAdminClient admin, string topic)
    {
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var described = Assert.Single(metadata.Topics);
        return described.Partitions.ToDictionary(p => p.PartitionId, p => p.Leader);
    }

    /// <summary>Produces <paramref name="count"/> records to one partition and waits for every acknowledgement.</summary>
    public static async Task ProduceAsync(IProducer<string, string> producer, string topic, int partition, int count, string prefix)
    {
        var deliveries = Enumerable.Range(0, count)
            .Select(i => producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string, string> { Key = $"{prefix}-k{i}", Value = $"{prefix}-v{i}" }))
            .ToArray();
        await Task.WhenAll(deliveries);
    }

    /// <summary>The number of records in one partition (high minus low watermark), asked of its leader.</summary>
    public static long Count(string bootstrap, string topic, int partition)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "unused" }).Build();
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10));
        return watermarks.High.Value - watermarks.Low.Value;
    }

    /// <summary>Reads one partition from the beginning until <paramref name="expected"/> records (or the wait limit).</summary>
    public static IReadOnlyList<ConsumeResult<string, string>> ReadPartition(string bootstrap, string topic, int partition, int expected, IsolationLevel isolation = IsolationLevel.ReadUncommitted) =>
        Read(bootstrap, [new TopicPartition(topic, partition)], expected, isolation);

    /// <summary>
    /// Reads <paramref name="partitions"/> from the beginning with one consumer until <paramref name="expected"/> records
    /// in all (or the wait limit), in arrival order (per partition, offset order).
    /// </summary>
    public static IReadOnlyList<ConsumeResult<string, string>> Read(string bootstrap, IEnumerable<TopicPartition> partitions, int expected, IsolationLevel isolation = IsolationLevel.ReadUncommitted)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "unused",
            EnableAutoCommit = false,
            IsolationLevel = isolation,
        }).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, string>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (records.Count < expected && clock.Elapsed < TestClusters.WaitLimit)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { IsPartitionEOF: false, Message: not null } result)
            {
                records.Add(result);
            }
        }

        return records;
    }
}
