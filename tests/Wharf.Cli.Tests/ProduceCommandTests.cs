using System.Text;
using Confluent.Kafka;

namespace Wharf.Cli.Tests;

public sealed class ProduceCommandTests
{
    [Fact]
    public async Task Produce_FromStdinWithKeyDelimiterAndHeaders_WritesOneRecordPerLine()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");

        var run = await WharfCli.RunWithInputAsync("k1:v1\nk2:v:2\nno-key\n", "produce", "orders", "--key-delim", ":", "-H", "source=cli", "-H", "trace=", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("produced 3 records to orders", run.Stderr.Trim());
        Assert.Equal("", run.Stdout);
        var records = ReadAll(broker.BootstrapServers, "orders", 3);
        Assert.Equal(["k1", "k2", null], records.Select(r => r.Message.Key is null ? null : Encoding.UTF8.GetString(r.Message.Key)));
        Assert.Equal(["v1", "v:2", "no-key"], records.Select(r => Encoding.UTF8.GetString(r.Message.Value)));
        Assert.All(records, r =>
        {
            Assert.Equal(["source", "trace"], r.Message.Headers.Select(h => h.Key));
            Assert.Equal("cli", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("source")));
            Assert.Empty(r.Message.Headers.GetLastBytes("trace"));
        });
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Produce_FromFileToOnePartitionCompressed_ReportsOffsetsAsJson(string codec)
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("events", partitions: 3);
        var file = Path.Combine(Path.GetTempPath(), $"wharf-produce-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 50).Select(i => $"event-{i}"));

        try
        {
            var run = await WharfCli.RunAsync("produce", "events", "--file", file, "-p", "2", "-z", codec, "--format", "json", "-b", broker.BootstrapServers);

            Assert.True(run.ExitCode == 0, run.ToString());
            var json = run.Json();
            Assert.Equal("events", json.GetProperty("topic").GetString());
            Assert.Equal(50, json.GetProperty("records").GetInt64());
            var partition = Assert.Single(json.GetProperty("partitions").EnumerateArray());
            Assert.Equal(2, partition.GetProperty("partition").GetInt32());
            Assert.Equal(0, partition.GetProperty("first_offset").GetInt64());
            Assert.Equal(49, partition.GetProperty("last_offset").GetInt64());
            var records = ReadAll(broker.BootstrapServers, "events", 50, partition: 2);
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"event-{i}"), records.Select(r => Encoding.UTF8.GetString(r.Message.Value)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Produce_WithAcksZero_DeliversWithoutOffsets()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("fire");

        var run = await WharfCli.RunWithInputAsync("a\nb\n", "produce", "fire", "--acks", "0", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.Json().GetProperty("records").GetInt64());
        Assert.Equal(2, ReadAll(broker.BootstrapServers, "fire", 2).Count);
    }

    [Fact]
    public async Task Produce_ToAPartitionThatDoesNotExist_FailsNamingTheLostRecords()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("small", partitions: 2);

        var run = await WharfCli.RunWithInputAsync("a\nb\n", "produce", "small", "-p", "5", "-b", broker.BootstrapServers);

        ErrorTests.AssertOneLineError(run, "small");
    }

    [Fact]
    public async Task Produce_ToANewTopic_WhenTheClusterCreatesTopics_CreatesItAndDelivers()
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["auto.create.topics.enable"] = "true" });

        var run = await WharfCli.RunWithInputAsync("a\nb\n", "produce", "fresh", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, ReadAll(broker.BootstrapServers, "fresh", 2).Count);
    }

    [Fact]
    public async Task Produce_ToAnUnknownTopicWithAutoCreateOff_FailsWithinSeconds()
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["auto.create.topics.enable"] = "false" });
        var started = System.Diagnostics.Stopwatch.StartNew();

        var run = await WharfCli.RunWithInputAsync("a\n", "produce", "missing", "-b", broker.BootstrapServers);

        ErrorTests.AssertOneLineError(run, "missing");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Produce_WithAMalformedHeader_FailsBeforeSendingAnything()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");

        var run = await WharfCli.RunWithInputAsync("a\n", "produce", "orders", "-H", "no-equals", "-b", broker.BootstrapServers);

        ErrorTests.AssertOneLineError(run, "no-equals");
        Assert.Empty(ReadAll(broker.BootstrapServers, "orders", 0));
    }

    [Fact]
    public async Task Produce_FromAMissingFile_FailsWithOneLineNamingIt()
    {
        var run = await WharfCli.RunAsync("produce", "orders", "--file", "/nonexistent/records.txt", "-b", "127.0.0.1:1");

        ErrorTests.AssertOneLineError(run, "/nonexistent/records.txt");
    }

    /// <summary>Reads <paramref name="count"/> records from the start of the topic (one partition, or all).</summary>
    internal static List<ConsumeResult<byte[]?, byte[]>> ReadAll(string bootstrap, string topic, int count, int? partition = null)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = partition is { } only
            ? [only]
            : admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "verify", EnablePartitionEof = true }).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<byte[]?, byte[]>>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((records.Count < count || atEnd.Count < partitions.Count) && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
                continue;
            }

            atEnd.Remove(result.Partition.Value);
            records.Add(result);
        }

        return [.. records.OrderBy(r => r.Partition.Value).ThenBy(r => r.Offset.Value)];
    }
}
