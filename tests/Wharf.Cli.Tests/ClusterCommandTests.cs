using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Tests;

public sealed class ClusterCommandTests
{
    [Fact]
    public async Task Info_AsJson_ShowsTheClusterIdControllerAndTheBroker()
    {
        await using var broker = await WharfBroker.StartAsync();

        var run = await WharfCli.RunAsync("cluster", "info", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        Assert.False(string.IsNullOrEmpty(json.GetProperty("cluster_id").GetString()));
        var only = Assert.Single(json.GetProperty("brokers").EnumerateArray());
        Assert.Equal(json.GetProperty("controller_id").GetInt32(), only.GetProperty("id").GetInt32());
        Assert.Equal(broker.BootstrapServers, $"{only.GetProperty("host").GetString()}:{only.GetProperty("port").GetInt32()}");
    }

    [Fact]
    public async Task Health_OfAHealthySingleBroker_ExitsZeroWithNothingToReport()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("orders", partitions: 3);

        var run = await WharfCli.RunAsync("cluster", "health", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        Assert.True(json.GetProperty("healthy").GetBoolean());
        Assert.Equal(JsonValueKind.Number, json.GetProperty("controller_id").ValueKind);
        Assert.True(Assert.Single(json.GetProperty("brokers").EnumerateArray()).GetProperty("reachable").GetBoolean());
        foreach (var list in new[] { "down_brokers", "offline_partitions", "under_replicated_partitions", "under_min_isr_partitions" })
        {
            Assert.Equal(0, json.GetProperty(list).GetArrayLength());
        }
    }

    [Fact]
    public async Task Health_AsTable_SaysHealthy()
    {
        await using var broker = await WharfBroker.StartAsync();

        var run = await WharfCli.RunAsync("cluster", "health", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.Stdout.Split('\n'), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["HEALTHY", "yes"]);
    }

    [Fact]
    public async Task Health_WhenTheBrokerIsUnreachable_FailsWithOneLine()
    {
        var run = await WharfCli.RunAsync("cluster", "health", "-b", "127.0.0.1:1");

        ErrorTests.AssertOneLineError(run, "127.0.0.1:1");
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task Health_AfterABrokerIsKilled_ExitsOneNamingItAndItsOfflinePartitions()
    {
        ExternalTools.Require(ExternalTool.Etcd);
        await using var cluster = await WharfCluster.StartAsync(new WharfClusterOptions { Brokers = 3 });
        var controller = await cluster.ControllerIdAsync();
        var victim = cluster.NodeIds.First(n => n != controller);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "spread", NumPartitions = 6, ReplicationFactor = 1 }]);
        }

        var healthy = await WharfCli.RunAsync("cluster", "health", "--format", "json", "-b", cluster.BootstrapServersOf(controller));
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        cluster.Kill(victim);

        // Until the broker's session expires (seconds) the metadata still lists it (unreachable); then it is down and
        // its partitions, with their only replica gone, are offline. Poll the command until it says so.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        CliRun run;
        do
        {
            run = await WharfCli.RunAsync("cluster", "health", "--format", "json", "-b", cluster.BootstrapServersOf(controller));
        }
        while (!(run.ExitCode == 1 && run.Stdout.TrimStart().StartsWith('{') && run.Json().GetProperty("down_brokers").EnumerateArray().Any(b => b.GetInt32() == victim))
            && DateTime.UtcNow < deadline);

        Assert.True(run.ExitCode == 1, run.ToString());
        var json = run.Json();
        Assert.False(json.GetProperty("healthy").GetBoolean());
        Assert.Equal([victim], json.GetProperty("down_brokers").EnumerateArray().Select(b => b.GetInt32()));
        Assert.NotEqual(0, json.GetProperty("offline_partitions").GetArrayLength());
        Assert.All(json.GetProperty("offline_partitions").EnumerateArray(), p => Assert.Equal("spread", p.GetProperty("topic").GetString()));
        Assert.Contains("not healthy", run.Stderr, StringComparison.Ordinal);
    }
}
