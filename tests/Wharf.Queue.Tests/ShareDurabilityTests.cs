using Confluent.Kafka;
using Wharf.Client;
using Wharf.Testing;
using static Wharf.Queue.Tests.QueueFixture;

namespace Wharf.Queue.Tests;

/// <summary>
/// Share-partition state survives the broker: a real broker process is killed with SIGKILL while consumers work, and
/// restarted on the same data. Acknowledgements a commit confirmed are never undone; everything else comes again.
/// </summary>
public sealed class ShareDurabilityTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task BrokerKilledAndRestarted_NoConfirmedAcknowledgementIsUndone_AndNoRecordIsLost()
    {
        const int count = 600;
        var broker = await WharfBrokerProcess.StartSingleAsync();
        try
        {
            await SetGroupConfigsAsync(broker.BootstrapServers, "durable", ("share.auto.offset.reset", "earliest"));
            await ProduceAsync(broker.BootstrapServers, "work", count);

            // Before the crash: accept records and commit; only what a commit confirmed counts as done.
            var confirmed = new HashSet<long>();
            var inFlight = new List<ShareRecord>();
            var consumer = Consumer(broker.BootstrapServers, "durable", "before", maxPollRecords: 100);
            consumer.Subscribe(["work"]);
            var deadline = DateTime.UtcNow + Limit;
            while (confirmed.Count < count / 2 && DateTime.UtcNow < deadline)
            {
                var batch = consumer.Consume(TimeSpan.FromMilliseconds(500)).Where(r => !r.IsError).ToList();
                batch.ForEach(r => consumer.Acknowledge(r, AcknowledgeType.Accept));
                if (batch.Count > 0 && consumer.CommitSync(TimeSpan.FromSeconds(15)).All(r => r.Succeeded))
                {
                    confirmed.UnionWith(batch.Select(r => r.Offset));
                }
            }

            // Records acquired and acknowledged but not committed when the broker dies: allowed to come again.
            var pending = consumer.Consume(TimeSpan.FromSeconds(2)).Where(r => !r.IsError).ToList();
            pending.ForEach(r => consumer.Acknowledge(r, AcknowledgeType.Accept));
            inFlight.AddRange(pending);
            Assert.True(confirmed.Count >= count / 2, $"only {confirmed.Count} confirmed before the crash");

            broker.Kill();
            consumer.Dispose();
            broker = await broker.RestartAsync();

            using var after = Consumer(broker.BootstrapServers, "durable", "after", maxPollRecords: 100);
            after.Subscribe(["work"]);
            var redelivered = new List<ShareRecord>();
            PollUntil(after, () => confirmed.Count + redelivered.Select(r => r.Offset).Distinct().Count() >= count, record =>
            {
                after.Acknowledge(record, AcknowledgeType.Accept);
                redelivered.Add(record);
            }, Limit);

            Assert.Empty(redelivered.Where(r => confirmed.Contains(r.Offset)).Select(r => r.Offset));
            Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), confirmed.Concat(redelivered.Select(r => r.Offset)).Distinct().Order());
            Assert.DoesNotContain(after.Consume(TimeSpan.FromSeconds(2)), r => !r.IsError);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task ATopicThatIsAQueueForAShareGroup_ShrinksOnDisk_AsTheGroupAcknowledges()
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.retention.check.interval.ms"] = "200" });
        await broker.CreateTopicAsync("inbox", configs: new Dictionary<string, string>
        {
            ["segment.bytes"] = "4096",
            ["retention.consumed.groups"] = "mailroom",
        });
        await SetGroupConfigsAsync(broker.BootstrapServers, "mailroom", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "inbox", 300, prefix: new string('x', 200), oneByOne: true);
        var directory = Path.Combine(broker.DataDirectory, "inbox-0");
        var segmentsBefore = Directory.GetFiles(directory, "*.log").Length;
        Assert.True(segmentsBefore > 5, $"{segmentsBefore} segments");
        Assert.Equal(0, EarliestOffset(broker.BootstrapServers, "inbox"));

        using var consumer = Consumer(broker.BootstrapServers, "mailroom");
        consumer.Subscribe(["inbox"]);
        var accepted = 0;
        PollUntil(consumer, () => accepted >= 300, record =>
        {
            consumer.Acknowledge(record, AcknowledgeType.Accept);
            accepted++;
        }, Limit);

        var deadline = DateTime.UtcNow + Limit;
        while (Directory.GetFiles(directory, "*.log").Length > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Single(Directory.GetFiles(directory, "*.log"));
        Assert.True(EarliestOffset(broker.BootstrapServers, "inbox") > 250);
    }

    private static long EarliestOffset(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "offsets-" + Guid.NewGuid() }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10)).Low.Value;
    }
}
