using Wharf.Compat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests;

/// <summary>kcat (librdkafka) against a real in-process broker: metadata, keyed round trips per codec, partitions.</summary>
public sealed class KcatTests(ITestOutputHelper output)
{
    private const int RecordCount = 200;

    [RequiresToolFact(ExternalTool.Kcat)]
    public async Task Metadata_ListsTheBrokerAndACreatedTopic()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("kcat-meta");
        await broker.CreateTopicAsync(topic, partitions: 2);

        var metadata = await new Kcat(broker.BootstrapServers).MetadataAsync();

        var brokers = metadata.GetProperty("brokers").EnumerateArray().ToArray();
        var only = Assert.Single(brokers);
        Assert.Equal(broker.BootstrapServers, only.GetProperty("name").GetString());
        var brokerId = only.GetProperty("id").GetInt32();

        var listed = metadata.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("topic").GetString() == topic);
        Assert.False(listed.TryGetProperty("error", out var error), $"topic error: {error}");
        var partitions = listed.GetProperty("partitions").EnumerateArray().ToArray();
        Assert.Equal([0, 1], partitions.Select(p => p.GetProperty("partition").GetInt32()).Order());
        Assert.All(partitions, p => Assert.Equal(brokerId, p.GetProperty("leader").GetInt32()));
    }

    [RequiresToolTheory(ExternalTool.Kcat)]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task ProduceThenConsume_WithCodec_ReturnsEveryKeyedRecordWithHeadersInOrder(string codec)
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("kcat-" + codec);
        var kcat = new Kcat(broker.BootstrapServers);
        var records = Enumerable.Range(0, RecordCount)
            .Select(i => (Key: $"key-{i % 7}", Value: $"value-{i:D4}-{codec}-naïve-☃-{new string((char)('a' + (i % 26)), 40)}"))
            .ToArray();
        (string, string)[] headers = [("trace-id", "abc-123"), ("codec", codec)];

        await kcat.ProduceAsync(topic, records, codec, headers: headers);
        var consumed = await kcat.ConsumeAllAsync(topic);

        // The client really compressed: librdkafka before 2.11.1 silently sends gzip and snappy uncompressed unless
        // ApiVersions lists Produce v0 (see ProduceHandler.AdvertisedMinVersion).
        var sent = broker.ProducedCodecs();
        Assert.NotEmpty(sent);
        Assert.All(sent, c => Assert.Equal(codec == "none" ? "None" : codec, c.ToString(), ignoreCase: true));

        Assert.Equal(RecordCount, consumed.Count);
        for (var i = 0; i < RecordCount; i++)
        {
            Assert.Equal(0, consumed[i].Partition);
            Assert.Equal(i, consumed[i].Offset);
            Assert.Equal(records[i].Key, consumed[i].Key);
            Assert.Equal(records[i].Value, consumed[i].Value);
            Assert.Equal($"trace-id=abc-123,codec={codec}", consumed[i].Headers);
        }
    }

    [RequiresToolFact(ExternalTool.Kcat)]
    public async Task ProduceToExplicitPartitions_EachPartitionReadsBackOnlyItsOwnRecords()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("kcat-parts");
        await broker.CreateTopicAsync(topic, partitions: 3);
        var kcat = new Kcat(broker.BootstrapServers);

        // Partitions get different counts, so a mix-up can't go unnoticed.
        var expected = new Dictionary<int, (string Key, string Value)[]>();
        for (var partition = 0; partition < 3; partition++)
        {
            var p = partition;
            expected[p] = Enumerable.Range(0, 10 + (5 * p)).Select(i => (Key: $"p{p}-k{i}", Value: $"p{p}-v{i}")).ToArray();
            await kcat.ProduceAsync(topic, expected[p], partition: p);
        }

        for (var partition = 0; partition < 3; partition++)
        {
            var consumed = await kcat.ConsumeAllAsync(topic, partition);
            Assert.Equal(expected[partition].Length, consumed.Count);
            Assert.All(consumed, r => Assert.Equal(partition, r.Partition));
            Assert.Equal(Enumerable.Range(0, expected[partition].Length).Select(i => (long)i), consumed.Select(r => r.Offset));
            Assert.Equal(expected[partition], consumed.Select(r => (r.Key, r.Value)));
        }

        var all = await kcat.ConsumeAllAsync(topic);
        Assert.Equal(expected.Values.Sum(v => v.Length), all.Count);
    }

    [RequiresToolFact(ExternalTool.Kcat)]
    public async Task ProduceToUnknownTopic_AutoCreatesItAndMetadataShowsIt()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("kcat-auto");
        var kcat = new Kcat(broker.BootstrapServers);

        await kcat.ProduceAsync(topic, [("k", "v")]);

        var metadata = await kcat.MetadataAsync(topic);
        var listed = Assert.Single(metadata.GetProperty("topics").EnumerateArray());
        Assert.Equal(topic, listed.GetProperty("topic").GetString());
        Assert.Single(listed.GetProperty("partitions").EnumerateArray());
        var consumed = Assert.Single(await kcat.ConsumeAllAsync(topic));
        Assert.Equal(("k", "v"), (consumed.Key, consumed.Value));
    }

    [RequiresToolFact(ExternalTool.Kcat)]
    public async Task ConsumeFromRelativeAndAbsoluteOffsets_StartsWhereAsked()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("kcat-offsets");
        var kcat = new Kcat(broker.BootstrapServers);
        var records = Enumerable.Range(0, 30).Select(i => (Key: $"k{i}", Value: $"v{i}")).ToArray();
        await kcat.ProduceAsync(topic, records[..10], "gzip");
        await kcat.ProduceAsync(topic, records[10..20], "lz4");
        await kcat.ProduceAsync(topic, records[20..]);

        // -5: ListOffsets(latest) minus 5; 12: an offset inside the compressed lz4 batch (the broker returns the
        // whole batch and the client drops the records before 12).
        var lastFive = await kcat.ConsumeAllAsync(topic, partition: 0, offset: "-5");
        var fromTwelve = await kcat.ConsumeAllAsync(topic, partition: 0, offset: "12");

        Assert.Equal(Enumerable.Range(25, 5).Select(i => (long)i), lastFive.Select(r => r.Offset));
        Assert.Equal(records[25..], lastFive.Select(r => (r.Key, r.Value)));
        Assert.Equal(Enumerable.Range(12, 18).Select(i => (long)i), fromTwelve.Select(r => r.Offset));
        Assert.Equal(records[12..], fromTwelve.Select(r => (r.Key, r.Value)));
    }

    [RequiresToolFact(ExternalTool.Kcat)]
    public async Task ProduceThenRestartBroker_RecordsSurviveAndNewOnesAppendAfterThem()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("kcat-restart");
        await broker.CreateTopicAsync(topic, partitions: 2);
        var kcat = new Kcat(broker.BootstrapServers);
        var before = Enumerable.Range(0, 20).Select(i => (Key: $"before-{i}", Value: $"b{i}")).ToArray();
        await kcat.ProduceAsync(topic, before, "zstd", partition: 1);

        await broker.RestartAsync();
        var after = Enumerable.Range(0, 5).Select(i => (Key: $"after-{i}", Value: $"a{i}")).ToArray();
        await kcat.ProduceAsync(topic, after, "snappy", partition: 1);

        var consumed = await kcat.ConsumeAllAsync(topic, partition: 1);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), consumed.Select(r => r.Offset));
        Assert.Equal(before.Concat(after), consumed.Select(r => (r.Key, r.Value)));
        Assert.Empty(await kcat.ConsumeAllAsync(topic, partition: 0));
    }
}
