using Confluent.Kafka;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// The metrics a scrape shows about durability, waiting and the cluster: fsync latency and group-commit rounds after
/// acknowledged produces, the fetch purgatory while a consumer long-polls an empty partition, kafka_exporter's
/// per-group sums, and the broker, topic, partition, controller and free-disk gauges.
/// </summary>
public sealed class DurabilityMetricsTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await WharfBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task AcknowledgedProduces_AreCountedAsFsyncsAndGroupCommitRounds()
    {
        await _broker.CreateTopicAsync("durable", partitions: 1);
        var before = await ScrapeAsync();
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All }).Build())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync("durable", new Message<Null, string> { Value = $"record-{i}" });
            }
        }

        var after = await ScrapeAsync();

        // Each awaited produce is one append that waited for its own group-commit round, which fsync'd the segment.
        Assert.True(Delta("wharf_storage_group_commit_appends_sum") >= 5, $"appends made durable: {Delta("wharf_storage_group_commit_appends_sum")}");
        Assert.True(Delta("wharf_storage_group_commit_seconds_count") >= 1);
        Assert.True(Delta("wharf_storage_fsync_seconds_count") >= 5, $"fsyncs: {Delta("wharf_storage_fsync_seconds_count")}");
        Assert.True(after.Single("wharf_storage_fsync_seconds_sum").Value > 0);
        Assert.Equal(0, after.Single("wharf_kafka_produce_purgatory_size").Value);

        double Delta(string name) => after.Single(name).Value - before.Single(name).Value;
    }

    [Fact]
    public async Task ConsumerLongPollingAnEmptyPartition_IsInTheFetchPurgatory_UntilItLeaves()
    {
        await _broker.CreateTopicAsync("quiet", partitions: 1);
        Assert.Equal(0, (await ScrapeAsync()).Single("wharf_kafka_fetch_purgatory_size").Value);
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "waiting", FetchWaitMaxMs = 100_000 }).Build())
        {
            consumer.Assign(new TopicPartitionOffset("quiet", 0, Offset.Beginning));
            var parked = await ScrapeUntilAsync(s => s.Single("wharf_kafka_fetch_purgatory_size").Value >= 1, () => consumer.Consume(TimeSpan.FromMilliseconds(50)));
            Assert.True(parked, "the consumer's long poll never showed in the fetch purgatory");
            consumer.Close();
        }

        // The consumer's close cancels its parked fetch: the purgatory empties within the 30 s the scrapes are given,
        // long before the fetch's 100 s max wait.
        Assert.True(await ScrapeUntilAsync(s => s.Single("wharf_kafka_fetch_purgatory_size").Value == 0, () => Thread.Sleep(20)), "the fetch stayed parked after the consumer left");
    }

    [Fact]
    public async Task ConsumerGroup_ShowsItsMembersAndItsLagSummedPerTopic()
    {
        await _broker.CreateTopicAsync("summed", partitions: 2);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition("summed", i % 2), new Message<Null, string> { Value = "x" });
            }
        }

        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "summing", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false }).Build();
        consumer.Subscribe("summed");
        var joined = await ScrapeUntilAsync(s => s.Any(x => x.Name == "kafka_consumergroup_members" && x.Labels["consumergroup"] == "summing" && x.Value == 1),
            () => consumer.Consume(TimeSpan.FromMilliseconds(100)));
        Assert.True(joined, "the member never showed");
        consumer.Commit([new TopicPartitionOffset("summed", 0, 1), new TopicPartitionOffset("summed", 1, 2)]);

        var samples = await ScrapeAsync();

        Assert.Equal(4 + 3, samples.Single("kafka_consumergroup_lag_sum", ("consumergroup", "summing"), ("topic", "summed")).Value);
    }

    [Fact]
    public async Task ASingleNode_IsOneLiveBroker_AndTheActiveController_WithItsTopicsAndFreeDiskCounted()
    {
        await _broker.CreateTopicAsync("counted-a", partitions: 3);
        await _broker.CreateTopicAsync("counted-b", partitions: 2);

        var samples = await ScrapeAsync();

        Assert.Equal(1, samples.Single("wharf_cluster_brokers").Value);
        Assert.Equal(1, samples.Single("wharf_cluster_active_controller").Value);
        var topics = samples.Single("wharf_cluster_topics").Value;
        var partitions = samples.Single("wharf_cluster_partitions").Value;
        Assert.True(topics >= 2, $"topics: {topics}");
        Assert.True(partitions - topics >= 3, $"{partitions} partitions over {topics} topics: counted-a and counted-b add 3 beyond one each");
        Assert.True(samples.Single("wharf_storage_disk_free_bytes").Value > 0);
    }

    /// <summary>Scrapes until <paramref name="condition"/> holds (true) or 30 s pass (false), doing <paramref name="meanwhile"/> between scrapes.</summary>
    private async Task<bool> ScrapeUntilAsync(Func<IReadOnlyList<PrometheusSample>, bool> condition, Action meanwhile)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (condition(await ScrapeAsync()))
            {
                return true;
            }

            meanwhile();
        }

        return false;
    }

    private Task<IReadOnlyList<PrometheusSample>> ScrapeAsync() => PrometheusText.ScrapeAsync(_broker);
}
