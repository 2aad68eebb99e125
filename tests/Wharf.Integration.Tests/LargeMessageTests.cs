using System.Globalization;
using Confluent.Kafka;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// A message several MiB large goes through Confluent.Kafka and back byte for byte: a request frame larger than any
/// fixed receive buffer (Kestrel's input pipe paused at 1 MiB of unconsumed bytes) is read whole.
/// </summary>
public sealed class LargeMessageTests : IAsyncLifetime
{
    private const int MaxMessageBytes = 8 * 1024 * 1024;
    private const int FetchBytes = 16 * 1024 * 1024;
    private WharfBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await WharfBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task ThreeMiBMessage_IsProducedAndConsumedByteIdentical()
    {
        const string topic = "large-messages";
        await _broker.CreateTopicAsync(topic, 1, new Dictionary<string, string> { ["max.message.bytes"] = MaxMessageBytes.ToString(CultureInfo.InvariantCulture) });
        var value = new byte[3 * 1024 * 1024];
        new Random(3).NextBytes(value);

        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            Acks = Acks.All,
            MessageMaxBytes = MaxMessageBytes,
            BatchSize = MaxMessageBytes,
            MessageTimeoutMs = 60_000,
        }).Build())
        {
            var delivered = await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = value });
            Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
            Assert.Equal(0, delivered.Offset.Value);
        }

        using var consumer = new ConsumerBuilder<Null, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            GroupId = "unused-manual-assignment",
            EnableAutoCommit = false,
            FetchMaxBytes = FetchBytes,
            MaxPartitionFetchBytes = FetchBytes,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = consumer.Consume(deadline.Token);

        Assert.Equal(0, result.Offset.Value);
        Assert.True(value.AsSpan().SequenceEqual(result.Message.Value), $"the consumed {result.Message.Value.Length}-byte value differs from the {value.Length} bytes produced");
    }
}
