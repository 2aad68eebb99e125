using System.Buffers;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Testing;
using CompressionType = Wharf.Records.CompressionType;

namespace Wharf.Integration.Tests;

/// <summary>
/// Config keys seen from a real client over a real socket: each test fails when the broker stops reading its key.
/// </summary>
public sealed class ConfigEffectTests
{
    [Fact]
    public async Task CompressionType_Gzip_StoresAnLz4ProducersBatchesAsGzip_AndConsumersReadTheRecords()
    {
        await using var broker = await WharfBroker.StartAsync();
        using var admin = Admin(broker);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "gz", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["compression.type"] = "gzip" } }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, CompressionType = Confluent.Kafka.CompressionType.Lz4, EnableIdempotence = true, LingerMs = 50 }).Build())
        {
            for (var i = 0; i < 20; i++)
            {
                producer.Produce("gz", new Message<Null, string> { Value = $"value-{i}" });
            }

            producer.Flush(TimeSpan.FromSeconds(10));
        }

        var batches = await FetchBatchesAsync(broker, "gz", maxBytes: int.MaxValue);
        Assert.NotEmpty(batches);
        Assert.All(batches, b => Assert.Equal(CompressionType.Gzip, b.Compression));
        Assert.All(batches, b => Assert.True(b.ProducerId >= 0, "the producer id survives recompression"));

        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "gz" }).Build();
        consumer.Assign(new TopicPartitionOffset("gz", 0, Offset.Beginning));
        var values = Enumerable.Range(0, 20).Select(_ => consumer.Consume(TimeSpan.FromSeconds(10))).Select(r => (r!.Offset.Value, r.Message.Value)).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => ((long)i, $"value-{i}")), values);
    }

    [Fact]
    public async Task FetchMaxBytes_CapsAResponseBelowTheClientsMaxBytes()
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["fetch.max.bytes"] = "1024" });
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, LingerMs = 0, BatchSize = 1 }).Build())
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync("capped", new Message<Null, byte[]> { Value = new byte[700] });
            }
        }

        var batches = await FetchBatchesAsync(broker, "capped", maxBytes: 1 << 20);

        Assert.Single(batches); // the first batch whole (KIP-74), then nothing past fetch.max.bytes
    }

    [Fact]
    public async Task MinInsyncReplicas_AboveTheIsr_RefusesAcksAll_ButNotAcksOne()
    {
        await using var broker = await WharfBroker.StartAsync();
        using var admin = Admin(broker);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "isr", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["min.insync.replicas"] = "2" } }]);

        using var all = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All, MessageSendMaxRetries = 0 }).Build();
        var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => all.ProduceAsync("isr", new Message<Null, string> { Value = "x" }));
        Assert.Equal(ErrorCode.NotEnoughReplicas, refused.Error.Code);

        using var leader = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.Leader }).Build();
        var written = await leader.ProduceAsync("isr", new Message<Null, string> { Value = "y" });
        Assert.Equal(0, written.Offset.Value);
    }

    [Fact]
    public async Task MessageTimestampBeforeMaxMs_RefusesAnOldRecordWithInvalidTimestamp()
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.message.timestamp.before.max.ms"] = "3600000" });
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, MessageSendMaxRetries = 0 }).Build();

        var old = new Timestamp(DateTime.UtcNow - TimeSpan.FromDays(1));
        var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("stamps", new Message<Null, string> { Value = "old", Timestamp = old }));
        var fresh = await producer.ProduceAsync("stamps", new Message<Null, string> { Value = "fresh" });

        Assert.Equal(ErrorCode.InvalidTimestamp, refused.Error.Code);
        Assert.Equal(0, fresh.Offset.Value);
    }

    [Fact]
    public async Task MessageFormatVersion_IsAcceptedAsATopicConfig_AndDescribed()
    {
        await using var broker = await WharfBroker.StartAsync();
        using var admin = Admin(broker);

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "legacy", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["message.format.version"] = "2.8" } }]);
        var described = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "legacy" }]))[0];

        Assert.Equal("2.8", described.Entries["message.format.version"].Value);
    }

    private static IAdminClient Admin(WharfBroker broker) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();

    /// <summary>One Fetch v11 from offset 0 of partition 0 with a large partition limit; the batch headers it returned.</summary>
    private static async Task<List<RecordBatchHeader>> FetchBatchesAsync(WharfBroker broker, string topic, int maxBytes)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
        await connection.SendAsync(
            new FetchRequest
            {
                MaxWaitMs = 0,
                MinBytes = 1,
                MaxBytes = maxBytes,
                Topics = [new() { Topic = topic, Partitions = [new() { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 }] }],
            },
            11);
        var response = await connection.ReceiveAsync<FetchResponse>(11);
        var partition = response.Responses[0].Partitions[0];
        Assert.Equal(0, partition.ErrorCode);
        var bytes = partition.Records is { } records ? records.ToArray() : [];
        var headers = new List<RecordBatchHeader>();
        for (var position = 0; position + RecordBatchLayout.HeaderSize <= bytes.Length;)
        {
            var header = RecordBatchHeader.Read(bytes.AsSpan(position));
            headers.Add(header);
            position += header.TotalSize;
        }

        return headers;
    }
}
