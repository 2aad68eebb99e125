using System.Text;
using Confluent.Kafka;
using Wharf.Client;
using Wharf.Testing;

namespace Wharf.Queue.Tests;

/// <summary>Share groups end to end: librdkafka 2.16's share consumer (through Wharf.Client) against an in-process broker.</summary>
public sealed class ShareGroupTests
{
    [Fact]
    public async Task FourConsumersOnTwoPartitions_EachGetsDistinctRecords_AndTogetherExactlyAll()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("queue", partitions: 2);
        const int count = 400;
        var consumers = Enumerable.Range(0, 4).Select(i => NewConsumer(broker, "g1", $"c{i}")).ToList();
        try
        {
            foreach (var consumer in consumers)
            {
                consumer.Subscribe(["queue"]);
            }

            // Join first: a new share group starts at the log end (share.auto.offset.reset=latest).
            await Task.WhenAll(consumers.Select(c => Task.Run(() => c.Consume(TimeSpan.FromSeconds(3)))));
            await ProduceAsync(broker, "queue", count);
            var received = new List<ShareRecord>[4];
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() =>
            {
                received[i] = [];
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (received.Where(r => r is not null).Sum(r => r.Count) < count && DateTime.UtcNow < deadline)
                {
                    foreach (var record in consumers[i].Consume(TimeSpan.FromMilliseconds(500)))
                    {
                        consumers[i].Acknowledge(record, AcknowledgeType.Accept);
                        lock (received)
                        {
                            received[i].Add(record);
                        }
                    }

                    consumers[i].CommitSync(TimeSpan.FromSeconds(10));
                }
            })));

            var all = received.SelectMany(r => r).Select(r => Encoding.UTF8.GetString(r.Value!)).ToList();
            Assert.Equal(count, all.Count);
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}").Order(), all.Order());
            Assert.All(received, r => Assert.NotEmpty(r));
        }
        finally
        {
            foreach (var consumer in consumers)
            {
                consumer.Dispose();
            }
        }
    }

    private static ShareConsumer NewConsumer(WharfBroker broker, string group, string clientId) => new(new ShareConsumerConfig
    {
        BootstrapServers = broker.BootstrapServers,
        GroupId = group,
        ClientId = clientId,
        AcknowledgementMode = ShareAcknowledgementMode.Explicit,
    }.Set("debug", Environment.GetEnvironmentVariable("SHARE_DEBUG") ?? ""));

    private static async Task ProduceAsync(WharfBroker broker, string topic, int count)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All, LingerMs = 5 }).Build();
        for (var i = 0; i < count; i++)
        {
            producer.Produce(topic, new Message<string, string> { Key = $"k{i}", Value = $"m{i}" });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
        await Task.CompletedTask;
    }
}
