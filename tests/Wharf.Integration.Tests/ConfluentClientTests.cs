using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>Confluent.Kafka (librdkafka 2.16.0) against an in-process broker over real sockets.</summary>
public sealed class ConfluentClientTests : IAsyncLifetime
{
    private const int Partitions = 6;
    private WharfBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await WharfBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Theory]
    [InlineData(CompressionType.None, 100_000)]
    [InlineData(CompressionType.Gzip, 100_000)]
    [InlineData(CompressionType.Snappy, 100_000)]
    [InlineData(CompressionType.Lz4, 100_000)]
    [InlineData(CompressionType.Zstd, 100_000)]
    public async Task ProduceThenConsume_KeysHeadersAcrossSixPartitions_ArriveExactlyAndInOrder(CompressionType compression, int count)
    {
        var topic = $"round-trip-{compression}".ToLowerInvariant();
        await CreateTopicAsync(topic, Partitions);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            CompressionType = compression,
            Acks = Acks.All,
            LingerMs = 5,
        }).Build())
        {
            for (var i = 0; i < count; i++)
            {
                producer.Produce(new TopicPartition(topic, i % Partitions), new Message<string, string>
                {
                    Key = $"k{i}",
                    Value = $"value-{i}-{new string((char)('a' + i % 26), i % 50)}",
                    Headers = [new Header("seq", BitConverter.GetBytes(i))],
                });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
        }

        var next = new int[Partitions];
        for (var p = 0; p < Partitions; p++)
        {
            next[p] = p;
        }

        using var consumer = NewConsumer();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var received = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (received < count)
        {
            var result = consumer.Consume(deadline.Token);
            var p = result.Partition.Value;
            var expected = next[p];
            Assert.Equal($"k{expected}", result.Message.Key);
            Assert.Equal($"value-{expected}-{new string((char)('a' + expected % 26), expected % 50)}", result.Message.Value);
            Assert.Equal(expected, BitConverter.ToInt32(result.Message.Headers.GetLastBytes("seq")));
            Assert.Equal(expected / Partitions, result.Offset.Value);
            next[p] += Partitions;
            received++;
        }
    }

    [Theory]
    [InlineData(Acks.None)]
    [InlineData(Acks.Leader)]
    [InlineData(Acks.All)]
    public async Task EachAcksSetting_StoresEveryMessage(Acks acks)
    {
        var topic = $"acks-{(int)acks}".Replace("-", "m", StringComparison.Ordinal);
        await CreateTopicAsync(topic, 1);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = acks }).Build())
        {
            for (var i = 0; i < 1000; i++)
            {
                producer.Produce(topic, new Message<Null, string> { Value = i.ToString() });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var values = ConsumeAll(topic, 0, 1000);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i.ToString()), values);
    }

    [Fact]
    public async Task OffsetsForTimes_FindsTheFirstRecordAtOrAfterATimestamp()
    {
        await CreateTopicAsync("by-time", 1);
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 100; i++)
            {
                await producer.ProduceAsync("by-time", new Message<Null, string> { Value = $"{i}", Timestamp = new Timestamp(start.AddMinutes(i)) });
            }
        }

        using var consumer = NewConsumer();
        var found = consumer.OffsetsForTimes([new TopicPartitionTimestamp("by-time", 0, new Timestamp(start.AddMinutes(42).AddSeconds(30)))], TimeSpan.FromSeconds(10));
        Assert.Equal(43, found[0].Offset.Value);
        var beyond = consumer.OffsetsForTimes([new TopicPartitionTimestamp("by-time", 0, new Timestamp(start.AddDays(1)))], TimeSpan.FromSeconds(10));
        Assert.Equal(Offset.End, beyond[0].Offset);
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition("by-time", 0), TimeSpan.FromSeconds(10));
        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(100, watermarks.High.Value);
    }

    [Fact]
    public async Task AdminClient_CreatesListsAndDeletesTopics()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "admin-a", NumPartitions = 3, ReplicationFactor = 1 }]);
        var error = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = "admin-a", NumPartitions = 3, ReplicationFactor = 1 }]));
        Assert.Equal(ErrorCode.TopicAlreadyExists, error.Results[0].Error.Code);

        var metadata = admin.GetMetadata("admin-a", TimeSpan.FromSeconds(10));
        Assert.Equal(3, metadata.Topics.Single().Partitions.Count);

        await admin.DeleteTopicsAsync(["admin-a"]);
        var afterDelete = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(afterDelete.Topics, t => t.Topic == "admin-a");
    }

    [Fact]
    public async Task Restart_KeepsTopicsAndEveryMessage()
    {
        await CreateTopicAsync("durable", 2);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All }).Build())
        {
            for (var i = 0; i < 500; i++)
            {
                producer.Produce(new TopicPartition("durable", i % 2), new Message<Null, string> { Value = $"m{i}" });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        await _broker.RestartAsync();

        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"m{i * 2}"), ConsumeAll("durable", 0, 250));
        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"m{i * 2 + 1}"), ConsumeAll("durable", 1, 250));
    }

    private List<string> ConsumeAll(string topic, int partition, int count)
    {
        using var consumer = NewConsumer();
        consumer.Assign(new TopicPartitionOffset(topic, partition, Offset.Beginning));
        var values = new List<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (values.Count < count)
        {
            values.Add(consumer.Consume(deadline.Token).Message.Value);
        }

        return values;
    }

    private IConsumer<string, string> NewConsumer() => new ConsumerBuilder<string, string>(ConsumerConfig()).Build();

    private ConsumerConfig ConsumerConfig() => new()
    {
        BootstrapServers = _broker.BootstrapServers,
        GroupId = "unused-manual-assignment",
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
    };

    private Task CreateTopicAsync(string name, int partitions) => _broker.CreateTopicAsync(name, partitions);
}
