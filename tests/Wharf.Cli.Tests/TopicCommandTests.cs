namespace Wharf.Cli.Tests;

public sealed class TopicCommandTests
{
    [Fact]
    public async Task Create_ThenListAsJson_ShowsTheTopicWithItsPartitions()
    {
        await using var broker = await WharfBroker.StartAsync();

        var created = await WharfCli.RunAsync("topic", "create", "orders", "-p", "3", "-r", "1", "-b", broker.BootstrapServers);
        var listed = await WharfCli.RunAsync("topic", "list", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var orders = Assert.Single(listed.Json().EnumerateArray(), t => t.GetProperty("name").GetString() == "orders");
        Assert.Equal(3, orders.GetProperty("partitions").GetInt32());
        Assert.Equal(1, orders.GetProperty("replicas").GetInt32());
    }

    [Fact]
    public async Task List_AsTable_HasUpperCaseHeadersAndOneRowPerTopic()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("alpha", partitions: 2);

        var listed = await WharfCli.RunAsync("topic", "list", "-b", broker.BootstrapServers);

        Assert.True(listed.ExitCode == 0, listed.ToString());
        var lines = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "PARTITIONS", "REPLICAS"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["alpha", "2", "1"]);
    }

    [Fact]
    public async Task Describe_AsJson_ShowsWatermarksLeadersAndConfigSources()
    {
        await using var broker = await WharfBroker.StartAsync();
        var created = await WharfCli.RunAsync("topic", "create", "events", "-p", "2", "-c", "retention.ms=123456", "-b", broker.BootstrapServers);
        Assert.True(created.ExitCode == 0, created.ToString());
        using (var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(new Confluent.Kafka.TopicPartition("events", 1), new() { Value = $"v{i}" });
            }
        }

        var described = await WharfCli.RunAsync("topic", "describe", "events", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(described.ExitCode == 0, described.ToString());
        var json = described.Json();
        Assert.Equal("events", json.GetProperty("name").GetString());
        var partitions = json.GetProperty("partitions").EnumerateArray().ToList();
        Assert.Equal([0, 1], partitions.Select(p => p.GetProperty("partition").GetInt32()));
        Assert.All(partitions, p => Assert.True(p.GetProperty("leader").GetInt32() >= 0));
        Assert.Equal(0, partitions[1].GetProperty("low_watermark").GetInt64());
        Assert.Equal(5, partitions[1].GetProperty("high_watermark").GetInt64());
        Assert.Equal(0, partitions[0].GetProperty("high_watermark").GetInt64());
        var retention = Assert.Single(json.GetProperty("configs").EnumerateArray(), c => c.GetProperty("name").GetString() == "retention.ms");
        Assert.Equal("123456", retention.GetProperty("value").GetString());
        Assert.Equal("DYNAMIC_TOPIC_CONFIG", retention.GetProperty("source").GetString());
    }

    [Fact]
    public async Task AlterConfig_SetThenDelete_ChangesTheConfigAndItsSource()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("tuned");

        var set = await WharfCli.RunAsync("topic", "alter-config", "tuned", "--set", "retention.ms=60000", "-b", broker.BootstrapServers);
        var afterSet = await RetentionAsync(broker, "tuned");
        var deleted = await WharfCli.RunAsync("topic", "alter-config", "tuned", "--delete", "retention.ms", "-b", broker.BootstrapServers);
        var afterDelete = await RetentionAsync(broker, "tuned");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal(("60000", "DYNAMIC_TOPIC_CONFIG"), afterSet);
        Assert.NotEqual("60000", afterDelete.Value);
        Assert.NotEqual("DYNAMIC_TOPIC_CONFIG", afterDelete.Source);
    }

    [Fact]
    public async Task AddPartitions_GrowsTheTopicToTheTotal()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("growing", partitions: 1);

        var grown = await WharfCli.RunAsync("topic", "add-partitions", "growing", "-n", "4", "-b", broker.BootstrapServers);
        var described = await WharfCli.RunAsync("topic", "describe", "growing", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(grown.ExitCode == 0, grown.ToString());
        Assert.Equal(4, described.Json().GetProperty("partitions").GetArrayLength());
    }

    [Fact]
    public async Task Delete_RemovesTheTopicFromTheList()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("doomed");

        var deleted = await WharfCli.RunAsync("topic", "delete", "doomed", "-b", broker.BootstrapServers);
        var listed = await WharfCli.RunAsync("topic", "list", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.DoesNotContain(listed.Json().EnumerateArray(), t => t.GetProperty("name").GetString() == "doomed");
    }

    private static async Task<(string? Value, string? Source)> RetentionAsync(WharfBroker broker, string topic)
    {
        var described = await WharfCli.RunAsync("topic", "describe", topic, "--format", "json", "-b", broker.BootstrapServers);
        Assert.True(described.ExitCode == 0, described.ToString());
        var retention = described.Json().GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "retention.ms");
        return (retention.GetProperty("value").GetString(), retention.GetProperty("source").GetString());
    }
}
