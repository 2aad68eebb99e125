using System.Text;
using Confluent.Kafka;
using Wharf.Client;
using Wharf.Testing;
using Wharf.TestKit;
using static Wharf.Queue.Tests.QueueFixture;

namespace Wharf.Queue.Tests;

/// <summary>
/// Share groups (KIP-932 queues) end to end: librdkafka 2.16's share consumer, through Wharf.Client, against a real
/// broker; records produced with Confluent.Kafka; group settings changed through the admin API.
/// </summary>
public sealed class ShareGroupTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FourConsumersOnTwoPartitions_EachGetsDistinctRecords_AndTogetherExactlyAll()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("queue", partitions: 2);
        const int firstWaves = 10;
        const int maxWaves = 40;
        const int perWave = 200;
        var consumers = Enumerable.Range(0, 4).Select(i => Consumer(broker.BootstrapServers, "g1", $"c{i}", maxPollRecords: 50)).ToList();
        var received = consumers.Select(_ => new List<ShareRecord>()).ToArray();
        var counts = new int[consumers.Count];
        var total = 0;
        var waves = 0;
        var finished = false;
        List<Task> polling = [];
        try
        {
            consumers.ForEach(c => c.Subscribe(["queue"]));
            polling = [.. Enumerable.Range(0, 4).Select(i => Task.Run(() => PollUntil(consumers[i], () => Volatile.Read(ref finished), record =>
            {
                consumers[i].Acknowledge(record, AcknowledgeType.Accept);
                received[i].Add(record);
                Interlocked.Increment(ref counts[i]);
                Interlocked.Increment(ref total);
            }, Limit)))];

            // Every member in and assigned before anything is produced; several members share each partition.
            await WaitForMembersAsync(broker.BootstrapServers, "g1", 4);
            var described = await DescribeAsync(broker.BootstrapServers, "g1");
            Assert.Equal("Stable", described.GroupState);
            Assert.Equal([0, 0, 1, 1], described.Members.SelectMany(m => m.Assignment.TopicPartitions.SelectMany(t => t.Partitions)).Order());

            // Which member of a partition wins a wave is a race between their parked fetches, so a member may lose a few
            // in a row on a busy machine; more waves follow (up to a bound) until each has had some. A member whose
            // fetches never get anything still fails the test.
            while (waves < firstWaves || (waves < maxWaves && Enumerable.Range(0, 4).Any(i => Volatile.Read(ref counts[i]) == 0)))
            {
                await ProduceAsync(broker.BootstrapServers, "queue", perWave, prefix: $"w{waves}-");
                waves++;
                if (waves >= firstWaves)
                {
                    await Poll.UntilAsync(() => Volatile.Read(ref total) >= waves * perWave, Limit, $"consumption of {waves} waves");
                }
            }
        }
        finally
        {
            Volatile.Write(ref finished, true);
            await Task.WhenAll(polling);
            consumers.ForEach(c => c.Dispose());
        }

        var all = received.SelectMany(r => r).ToList();
        var expected = Enumerable.Range(0, waves).SelectMany(w => Enumerable.Range(0, perWave).Select(i => $"w{w}-{i}"));
        Assert.Equal(expected.Order(StringComparer.Ordinal), all.Select(Text).Order(StringComparer.Ordinal));
        Assert.All(all, r => Assert.Equal(1, r.DeliveryCount));
        Assert.All(received, (r, i) => Assert.True(r.Count > 0, $"consumer c{i} got nothing in {waves} waves"));
    }

    [Fact]
    public async Task ImplicitAcknowledgement_AcceptsEachBatchWithTheNextFetch_AcrossPartitions()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("implicit", partitions: 4);
        await SetGroupConfigsAsync(broker.BootstrapServers, "auto", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "implicit", 2000);

        // Implicit mode: no Acknowledge calls; each poll accepts the previous batch, and the acknowledgements ride on the
        // next ShareFetch (whose answer for a partition with nothing new must still carry an empty record set).
        var seen = new List<ShareRecord>();
        using (var consumer = new ShareConsumer(new ShareConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "auto", MaxPollRecords = 100 }))
        {
            consumer.Subscribe(["implicit"]);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (seen.Count < 2000 && DateTime.UtcNow < deadline)
            {
                seen.AddRange(consumer.Consume(TimeSpan.FromMilliseconds(200)).Where(r => !r.IsError));
            }

            consumer.Consume(TimeSpan.FromMilliseconds(200));
            consumer.CommitSync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(2000, seen.Select(r => (r.Partition, r.Offset)).Distinct().Count());
        using var next = Consumer(broker.BootstrapServers, "auto");
        next.Subscribe(["implicit"]);
        Assert.DoesNotContain(next.Consume(TimeSpan.FromSeconds(3)), r => !r.IsError);
    }

    [Fact]
    public async Task ReleasedRecords_AreDeliveredAgain_WithDeliveryCountTwo()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("jobs");
        await SetGroupConfigsAsync(broker.BootstrapServers, "workers", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "jobs", 50);

        using var consumer = Consumer(broker.BootstrapServers, "workers");
        consumer.Subscribe(["jobs"]);

        // Release every record on its first delivery and accept it on its second (a batch may come in pieces, so a
        // released record can come back in the same loop).
        var deliveries = new Dictionary<long, List<short>>();
        var accepted = 0;
        PollUntil(consumer, () => accepted >= 50, record =>
        {
            (deliveries.TryGetValue(record.Offset, out var counts) ? counts : deliveries[record.Offset] = []).Add(record.DeliveryCount);
            var first = deliveries[record.Offset].Count == 1;
            consumer.Acknowledge(record, first ? AcknowledgeType.Release : AcknowledgeType.Accept);
            accepted += first ? 0 : 1;
        }, Limit);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), deliveries.Keys.Order());
        Assert.All(deliveries.Values, counts => Assert.Equal([1, 2], counts));

        // Accepted records are gone: nothing more comes.
        Assert.DoesNotContain(consumer.Consume(TimeSpan.FromSeconds(2)), r => !r.IsError);
    }

    [Fact]
    public async Task AConsumerThatStopsAcknowledging_LosesItsLocks_AndAnotherConsumerGetsTheRecords()
    {
        await using var broker = await WharfBroker.StartAsync(ShortLocks);
        await broker.CreateTopicAsync("tasks");
        await SetGroupConfigsAsync(broker.BootstrapServers, "crew", ("share.auto.offset.reset", "earliest"), ("share.record.lock.duration.ms", "2000"));
        await ProduceAsync(broker.BootstrapServers, "tasks", 20);

        // The stalled consumer acquires records and never acknowledges them (it stays in the group: only its locks expire).
        using var stalled = Consumer(broker.BootstrapServers, "crew", "stalled");
        stalled.Subscribe(["tasks"]);
        var held = new List<ShareRecord>();
        PollUntil(stalled, () => held.Count > 0, held.Add, Limit, commit: false);

        using var other = Consumer(broker.BootstrapServers, "crew", "other");
        other.Subscribe(["tasks"]);
        var taken = new List<ShareRecord>();
        PollUntil(other, () => taken.Count >= 20, record =>
        {
            other.Acknowledge(record, AcknowledgeType.Accept);
            taken.Add(record);
        }, Limit);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), taken.Select(r => r.Offset).Order());
        Assert.All(taken.Where(r => held.Any(h => h.Offset == r.Offset)), r => Assert.Equal(2, r.DeliveryCount));
    }

    [Fact]
    public async Task RejectedRecords_AndRecordsOverTheDeliveryLimit_LandInTheDeadLetterTopic()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");
        await SetGroupConfigsAsync(broker.BootstrapServers, "billing",
            ("share.auto.offset.reset", "earliest"), ("share.delivery.count.limit", "2"), ("share.dead.letter.topic", "orders-dlq"));
        await ProduceAsync(broker.BootstrapServers, "orders", 10);

        using (var consumer = Consumer(broker.BootstrapServers, "billing"))
        {
            consumer.Subscribe(["orders"]);
            var deliveries = 0;
            PollUntil(consumer, () => deliveries >= 15, record =>
            {
                // Offsets 0-4 are poison (rejected at once); 5-9 always fail (released until the limit archives them).
                consumer.Acknowledge(record, record.Offset < 5 ? AcknowledgeType.Reject : AcknowledgeType.Release);
                deliveries++;
            }, Limit);
            Assert.Equal(15, deliveries);
            Assert.DoesNotContain(consumer.Consume(TimeSpan.FromSeconds(2)), r => !r.IsError);
        }

        var letters = ReadAll(broker.BootstrapServers, "orders-dlq", 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), letters.Select(m => m.Value));
        foreach (var letter in letters)
        {
            var offset = long.Parse(HeaderOf(letter, "wharf.dlq.offset"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"m{offset}", letter.Value);
            Assert.Equal($"k{offset}", letter.Key);
            Assert.Equal("orders", HeaderOf(letter, "wharf.dlq.topic"));
            Assert.Equal("0", HeaderOf(letter, "wharf.dlq.partition"));
            Assert.Equal("billing", HeaderOf(letter, "wharf.dlq.group"));
            Assert.Equal(offset < 5 ? "rejected" : "delivery-limit", HeaderOf(letter, "wharf.dlq.reason"));
            Assert.Equal(offset < 5 ? "1" : "2", HeaderOf(letter, "wharf.dlq.delivery.count"));
        }
    }

    [Theory]
    [InlineData("read_committed", new[] { "before", "committed" })]
    [InlineData("read_uncommitted", new[] { "before", "aborted", "committed" })]
    public async Task ShareIsolationLevel_ReadCommittedHidesAbortedTransactions(string isolation, string[] expected)
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("ledger");
        await SetGroupConfigsAsync(broker.BootstrapServers, "auditors", ("share.auto.offset.reset", "earliest"), ("share.isolation.level", isolation));
        await ProduceAsync(broker.BootstrapServers, "ledger", 10, prefix: "before-");
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, TransactionalId = "ledger-writer" }).Build())
        {
            producer.InitTransactions(TimeSpan.FromSeconds(30));
            foreach (var (phase, commit) in new[] { ("aborted", false), ("committed", true) })
            {
                producer.BeginTransaction();
                for (var i = 0; i < 10; i++)
                {
                    await producer.ProduceAsync("ledger", new Message<string, string> { Key = $"k{i}", Value = $"{phase}-{i}" });
                }

                if (commit)
                {
                    producer.CommitTransaction(TimeSpan.FromSeconds(30));
                }
                else
                {
                    producer.AbortTransaction(TimeSpan.FromSeconds(30));
                }
            }
        }

        using var consumer = Consumer(broker.BootstrapServers, "auditors");
        consumer.Subscribe(["ledger"]);
        var values = new List<string>();
        PollUntil(consumer, () => values.Count >= expected.Length * 10, record =>
        {
            consumer.Acknowledge(record, AcknowledgeType.Accept);
            values.Add(Text(record));
        }, Limit);

        Assert.Equal(expected.SelectMany(phase => Enumerable.Range(0, 10).Select(i => $"{phase}-{i}")), values);
        Assert.DoesNotContain(consumer.Consume(TimeSpan.FromSeconds(2)), r => !r.IsError);
    }

    private static List<Message<string, string>> ReadAll(string bootstrap, string topic, int count)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "dlq-reader-" + Guid.NewGuid(), AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var messages = new List<Message<string, string>>();
        var deadline = DateTime.UtcNow + Limit;
        while (messages.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { IsPartitionEOF: false, Message: { } message })
            {
                messages.Add(message);
            }
        }

        return messages;
    }

    private static string HeaderOf(Message<string, string> message, string name) =>
        message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : throw new Xunit.Sdk.XunitException($"no header {name}");
}
