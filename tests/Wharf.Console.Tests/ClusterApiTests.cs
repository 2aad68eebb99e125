using System.Text.Json.Nodes;
using Confluent.Kafka;

namespace Wharf.Console.Tests;

/// <summary>
/// In a cluster, one broker's admin API answers for everything: partitions led by another broker (offsets, sizes,
/// messages, produce) and groups coordinated by another broker — it asks the leader or the coordinator, as a client would.
/// </summary>
public sealed class ClusterApiTests : IAsyncLifetime
{
    private InMemoryCluster _cluster = null!;
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _cluster = await InMemoryCluster.StartAsync(2);
        _api = new ApiClient(_cluster.HttpAddress(1));
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task OneBrokersApi_ReadsAndWritesAPartitionLedByAnother()
    {
        var cluster = await _api.WaitForAsync("api/v1/cluster", c => c["brokers"]!.AsArray().Count == 2);
        Assert.Equal([1, 2], cluster["brokers"]!.AsArray().Select(b => (int)b!["node_id"]!));
        (await _api.PostAsync("api/v1/topics", new JsonObject { ["name"] = "spread", ["partitions"] = 4, ["replication_factor"] = 1 })).Ok();
        var detail = await _api.WaitForAsync("api/v1/topics/spread", t => t["partitions"]!.AsArray().Count == 4
            && t["partitions"]!.AsArray().All(p => p!["high_watermark"] is not null && p["size_bytes"] is not null));
        var remote = detail["partitions"]!.AsArray().First(p => (int)p!["leader"]! == 2)!;
        var partition = (int)remote["partition"]!;

        var produced = (await _api.PostAsync("api/v1/topics/spread/messages", new JsonObject { ["partition"] = partition, ["key"] = "k", ["value"] = "on broker 2" })).Ok();
        var page = (await _api.GetAsync($"api/v1/topics/spread/partitions/{partition}/messages?offset=0")).Ok();
        var after = (await _api.GetAsync("api/v1/topics/spread")).Ok()["partitions"]![partition]!;

        Assert.Equal(0, (long)produced["offset"]!);
        Assert.Equal("on broker 2", (string?)Assert.Single(page["messages"]!.AsArray())!["value"]!["data"]);
        Assert.Equal(1, (long)after["high_watermark"]!);
        Assert.True((long)after["size_bytes"]! > 0);
    }

    [Fact]
    public async Task OneBrokersApi_ShowsTheLagOfGroupsCoordinatedByEitherBroker()
    {
        (await _api.PostAsync("api/v1/topics", new JsonObject { ["name"] = "consumed", ["partitions"] = 1, ["replication_factor"] = 1 })).Ok();
        await _api.WaitForAsync("api/v1/topics/consumed", t => t["partitions"]![0]!["high_watermark"] is not null);
        for (var i = 0; i < 5; i++)
        {
            (await _api.PostAsync("api/v1/topics/consumed/messages", new JsonObject { ["partition"] = 0, ["value"] = $"m{i}" })).Ok();
        }

        var groups = Enumerable.Range(0, 8).Select(i => $"group-{i}").ToList();
        foreach (var group in groups)
        {
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _cluster.Brokers[1].BootstrapServers, GroupId = group }).Build();
            consumer.Assign(new TopicPartition("consumed", 0));
            consumer.Commit([new TopicPartitionOffset("consumed", 0, 2)]);
        }

        var coordinators = new HashSet<int>();
        foreach (var group in groups)
        {
            var detail = (await _api.GetAsync($"api/v1/groups/{group}")).Ok();
            Assert.Equal(3, (long)detail["total_lag"]!);
            coordinators.Add((int)detail["coordinator"]!);
        }

        var listed = (await _api.GetAsync("api/v1/groups")).Ok()["groups"]!.AsArray().Select(g => (string?)g!["group_id"]).ToList();
        Assert.All(groups, g => Assert.Contains(g, listed));
        Assert.Equal([1, 2], coordinators.Order());
    }
}
