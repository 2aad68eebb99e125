using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Tests;

public sealed class ConsumeCommandTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Consume_AsJsonToTheEnd_PrintsOneObjectPerRecordWithEveryField()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");
        await ProduceAsync(broker.BootstrapServers, "orders", ("k1", "v1", 1_700_000_000_000), (null, "v2", 1_700_000_000_001));

        var run = await WharfCli.RunAsync("consume", "orders", "-e", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("orders", lines[0].GetProperty("topic").GetString());
        Assert.Equal(0, lines[0].GetProperty("partition").GetInt32());
        Assert.Equal([0L, 1L], lines.Select(l => l.GetProperty("offset").GetInt64()));
        Assert.Equal(1_700_000_000_000, lines[0].GetProperty("timestamp").GetInt64());
        Assert.Equal("k1", lines[0].GetProperty("key").GetString());
        Assert.Equal(JsonValueKind.Null, lines[1].GetProperty("key").ValueKind);
        Assert.Equal("v2", lines[1].GetProperty("value").GetString());
        var header = Assert.Single(lines[0].GetProperty("headers").EnumerateArray());
        Assert.Equal("origin", header.GetProperty("key").GetString());
        Assert.Equal("test", header.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Consume_WithATemplate_ExpandsEveryToken_AndANullKeyIsEmpty()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");
        await ProduceAsync(broker.BootstrapServers, "orders", ("k1", "v1", 1_700_000_000_000), (null, "v2", 1_700_000_000_001));

        var run = await WharfCli.RunAsync("consume", "orders", "-e", "-f", @"%t|%p|%o|%k|%v|%h|%T|100%%\n", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("orders|0|0|k1|v1|origin=test|1700000000000|100%\norders|0|1||v2|origin=test|1700000000001|100%\n", run.Stdout);
    }

    [Fact]
    public async Task Consume_ChosenPartitionsFromAnOffset_ReadsOnlyThose()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("events", partitions: 3);
        await WharfCli.RunWithInputAsync("a0\na1\na2\n", "produce", "events", "-p", "0", "-b", broker.BootstrapServers);
        await WharfCli.RunWithInputAsync("b0\nb1\n", "produce", "events", "-p", "1", "-b", broker.BootstrapServers);
        await WharfCli.RunWithInputAsync("c0\n", "produce", "events", "-p", "2", "-b", broker.BootstrapServers);

        var run = await WharfCli.RunAsync("consume", "events", "-p", "0,2", "--from", "1", "-e", "-f", @"%p:%v\n", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["0:a1", "0:a2"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("@1700000000002")]
    [InlineData("2023-11-14T22:13:20.002Z")]
    public async Task Consume_FromATime_StartsAtTheFirstRecordAtOrAfterIt(string from)
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");
        await ProduceAsync(broker.BootstrapServers, "orders", ("a", "early", 1_700_000_000_000), ("b", "on-time", 1_700_000_000_002), ("c", "late", 1_700_000_000_005));

        var run = await WharfCli.RunAsync("consume", "orders", "--from", from, "-e", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("on-time\nlate\n", run.Stdout);
    }

    [Fact]
    public async Task Consume_WithAGroup_CommitsWhatItPrinted_AndTheNextRunResumesThere()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders");
        await WharfCli.RunWithInputAsync("r0\nr1\nr2\nr3\nr4\n", "produce", "orders", "-b", broker.BootstrapServers);

        var first = await WharfCli.RunAsync("consume", "orders", "-g", "billing", "-n", "2", "-b", broker.BootstrapServers);
        var second = await WharfCli.RunAsync("consume", "orders", "-g", "billing", "-e", "-b", broker.BootstrapServers);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("r0\nr1\n", first.Stdout);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal("r2\nr3\nr4\n", second.Stdout);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        var committed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("billing", [new TopicPartition("orders", 0)])]);
        Assert.Equal(5, committed[0].Partitions.Single().Offset.Value);
    }

    [Fact]
    public async Task Consume_FollowingWithNum_WaitsForRecords_AndExitsAsSoonAsTheNthArrives()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("live");
        using var consumer = WharfCli.Start("consume", "live", "-n", "3", "-b", broker.BootstrapServers);

        await WharfCli.RunWithInputAsync("one\ntwo\n", "produce", "live", "-b", broker.BootstrapServers);
        Assert.Equal("one", await consumer.ReadLineAsync(Patience));
        Assert.Equal("two", await consumer.ReadLineAsync(Patience));
        Assert.False(consumer.HasExited, "exited before the third record");
        await WharfCli.RunWithInputAsync("three\n", "produce", "live", "-b", broker.BootstrapServers);
        var producedAt = Stopwatch.StartNew();
        var run = await consumer.WaitForExitAsync(Patience);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(producedAt.Elapsed < TimeSpan.FromSeconds(10), $"took {producedAt.Elapsed} after the third record");
        Assert.Equal("three\n", run.Stdout);
    }

    [Theory]
    [InlineData(SigInt)]
    [InlineData(SigTerm)]
    public async Task Consume_Following_StopsCleanlyOnASignal_AndCommits(int signal)
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("live");
        await WharfCli.RunWithInputAsync("first\n", "produce", "live", "-b", broker.BootstrapServers);
        using var consumer = WharfCli.Start("consume", "live", "-g", "tail", "-b", broker.BootstrapServers);

        Assert.Equal("first", await consumer.ReadLineAsync(Patience));
        consumer.Signal(signal);
        var run = await consumer.WaitForExitAsync(Patience);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Stderr);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        var committed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("tail", [new TopicPartition("live", 0)])]);
        Assert.Equal(1, committed[0].Partitions.Single().Offset.Value);
    }

    [Fact]
    public async Task Consume_IntoAFileTheShellKeepsWritingTo_KeepsEveryLineInOrder()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("logged");
        await WharfCli.RunWithInputAsync("one\ntwo\n", "produce", "logged", "-b", broker.BootstrapServers);
        var file = Path.Combine(Path.GetTempPath(), $"wharf-consume-{Guid.NewGuid():N}.txt");
        try
        {
            // One descriptor shared by echo, wharf and echo: each must write where the previous one stopped.
            var start = new ProcessStartInfo("bash") { RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"{{ echo start; dotnet '{WharfCli.DllPath}' consume logged -e -b {broker.BootstrapServers}; echo done; }} > '{file}'");
            using var shell = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(Patience);
            await shell.WaitForExitAsync(timeout.Token);

            Assert.Equal(["start", "one", "two", "done"], await File.ReadAllLinesAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Consume_Following_ExitsOnceItsReaderHasGone()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("live");
        await WharfCli.RunWithInputAsync("first\n", "produce", "live", "-b", broker.BootstrapServers);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"dotnet '{WharfCli.DllPath}' consume live -b {broker.BootstrapServers} | head -n 1; echo \"wharf exit ${{PIPESTATUS[0]}}\"");
        using var pipeline = Process.Start(start)!;
        try
        {
            Assert.Equal("first", await pipeline.StandardOutput.ReadLineAsync());

            // head has exited; the next record the follower writes finds the pipe closed, and it stops.
            await WharfCli.RunWithInputAsync("second\n", "produce", "live", "-b", broker.BootstrapServers);
            using var timeout = new CancellationTokenSource(Patience);
            var rest = await pipeline.StandardOutput.ReadToEndAsync(timeout.Token);
            await pipeline.WaitForExitAsync(timeout.Token);

            Assert.Equal("wharf exit 0", rest.Trim());
        }
        finally
        {
            if (!pipeline.HasExited)
            {
                pipeline.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Consume_UnknownTopic_FailsWithOneLine()
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["auto.create.topics.enable"] = "false" });

        var run = await WharfCli.RunAsync("consume", "no-such-topic", "-e", "-b", broker.BootstrapServers);

        ErrorTests.AssertOneLineError(run, "no-such-topic");
    }

    [Fact]
    public async Task Consume_APartitionTheTopicLacks_FailsWithOneLine()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders", partitions: 2);

        var run = await WharfCli.RunAsync("consume", "orders", "-p", "7", "-e", "-b", broker.BootstrapServers);

        ErrorTests.AssertOneLineError(run, "partition 7");
    }

    [Theory]
    [InlineData("--from", "yesterday", "yesterday")]
    [InlineData("--from", "@soon", "@soon")]
    [InlineData("-p", "one", "one")]
    [InlineData("-p", "-1", "-1")]
    [InlineData("--format", "%q", "%q")]
    [InlineData("-n", "0", "--num")]
    public async Task Consume_WithABadFlagValue_FailsAsUsageError(string flag, string value, string mention)
    {
        var run = await WharfCli.RunAsync("consume", "orders", flag, value, "-b", "127.0.0.1:1");

        ErrorTests.AssertOneLineError(run, mention);
        Assert.Equal(2, run.ExitCode);
    }

    private static async Task ProduceAsync(string bootstrap, string topic, params (string? Key, string Value, long TimestampMs)[] records)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        foreach (var (key, value, timestamp) in records)
        {
            await producer.ProduceAsync(topic, new Message<string?, string>
            {
                Key = key,
                Value = value,
                Timestamp = new Timestamp(timestamp, TimestampType.CreateTime),
                Headers = [new Header("origin", "test"u8.ToArray())],
            });
        }
    }
}
