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
}
