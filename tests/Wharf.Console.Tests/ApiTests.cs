using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;

namespace Wharf.Console.Tests;

/// <summary>
/// The JSON admin API under /api/v1 against a real broker: topics, configs, messages (as Confluent's clients wrote them
/// and as the API wrote them), groups with lag. Every answer is checked by field name, as documented.
/// </summary>
public sealed class ApiTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        _api = new ApiClient(_broker.HttpAddress!);
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Cluster_OfASingleBroker_NamesItAsTheControllerWithItsAddress()
    {
        var cluster = (await _api.GetAsync("api/v1/cluster")).Ok();

        Assert.False(string.IsNullOrEmpty((string?)cluster["cluster_id"]));
        var broker = Assert.Single(cluster["brokers"]!.AsArray())!;
        Assert.Equal((int)cluster["controller_id"]!, (int)broker["node_id"]!);
        Assert.True((bool)broker["is_controller"]!);
        Assert.Equal(_broker.BootstrapServers, $"{broker["host"]}:{broker["port"]}");
    }

    [Fact]
    public async Task CreateTopic_ThenList_ShowsItsPartitionsAndReplicationFactor()
    {
        var created = await _api.PostAsync("api/v1/topics", new JsonObject { ["name"] = "orders", ["partitions"] = 3 });

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("application/json", created.MediaType);
        var topics = (await _api.GetAsync("api/v1/topics")).Ok()["topics"]!.AsArray();
        var orders = Assert.Single(topics, t => (string?)t!["name"] == "orders")!;
        Assert.Equal(3, (int)orders["partitions"]!);
        Assert.Equal(1, (int)orders["replication_factor"]!);
        Assert.False((bool)orders["internal"]!);
    }

    [Fact]
    public async Task CreateTopic_ThatExists_IsAConflictWithKafkasCode()
    {
        await _broker.CreateTopicAsync("taken");

        var again = await _api.PostAsync("api/v1/topics", new JsonObject { ["name"] = "taken" });

        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("TOPIC_ALREADY_EXISTS", (string?)again.Json!["code"]);
    }

    [Fact]
    public async Task TopicDetail_AfterProducing_ShowsOffsetsSizeAndConfigsWithTheirSource()
    {
        await _broker.CreateTopicAsync("detailed", partitions: 2, new Dictionary<string, string> { ["retention.ms"] = "3600000" });
        await ProduceAsync("detailed", 0, 5);

        var detail = (await _api.GetAsync("api/v1/topics/detailed")).Ok();

        var partitions = detail["partitions"]!.AsArray();
        Assert.Equal(2, partitions.Count);
        var first = partitions[0]!;
        Assert.Equal(0, (int)first["partition"]!);
        Assert.Equal(0, (long)first["log_start_offset"]!);
        Assert.Equal(5, (long)first["high_watermark"]!);
        Assert.True((long)first["size_bytes"]! > 0);
        Assert.Equal((int)first["leader"]!, (int)Assert.Single(first["isr"]!.AsArray())!);
        Assert.Equal(0, (long)partitions[1]!["high_watermark"]!);
        Assert.Equal(5, (long)detail["message_count"]!);
        var configs = detail["configs"]!.AsArray();
        var retention = Assert.Single(configs, c => (string?)c!["name"] == "retention.ms")!;
        Assert.Equal("3600000", (string?)retention["value"]);
        Assert.Equal("topic", (string?)retention["source"]);
        Assert.Contains(configs, c => (string?)c!["name"] == "cleanup.policy" && (string?)c["source"] != "topic");
    }

    [Fact]
    public async Task TopicDetail_OfAnUnknownTopic_Is404WithKafkasCode()
    {
        var missing = await _api.GetAsync("api/v1/topics/nowhere");

        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("UNKNOWN_TOPIC_OR_PARTITION", (string?)missing.Json!["code"]);
        Assert.Contains("nowhere", (string?)missing.Json["error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteTopic_RemovesItFromTheList()
    {
        await _broker.CreateTopicAsync("doomed");

        var deleted = await _api.DeleteAsync("api/v1/topics/doomed");

        Assert.True((bool)deleted.Ok()["deleted"]!);
        await _api.WaitForAsync("api/v1/topics", t => !t["topics"]!.AsArray().Any(x => (string?)x!["name"] == "doomed"));
        Assert.Equal(HttpStatusCode.NotFound, (await _api.DeleteAsync("api/v1/topics/doomed")).Status);
    }

    [Fact]
    public async Task Messages_WrittenByAKafkaClient_ShowKeyValueHeadersOffsetAndTimestamp()
    {
        await _broker.CreateTopicAsync("browsed");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(new TopicPartition("browsed", 0), new Message<string, byte[]>
            {
                Key = "k-0",
                Value = Encoding.UTF8.GetBytes("""{"n":0}"""),
                Headers = [new Header("trace", Encoding.UTF8.GetBytes("abc"))],
            });
            await producer.ProduceAsync(new TopicPartition("browsed", 0), new Message<string, byte[]> { Key = "k-1", Value = [0, 1, 2, 255] });
        }

        var page = (await _api.GetAsync("api/v1/topics/browsed/partitions/0/messages?offset=0")).Ok();

        Assert.Equal(0, (long)page["start_offset"]!);
        Assert.Equal(2, (long)page["next_offset"]!);
        Assert.Equal(2, (long)page["high_watermark"]!);
        var messages = page["messages"]!.AsArray();
        Assert.Equal(2, messages.Count);
        var text = messages[0]!;
        Assert.Equal(0, (long)text["offset"]!);
        Assert.InRange((long)text["timestamp"]!, before, before + 60_000);
        Assert.Equal("create_time", (string?)text["timestamp_type"]);
        Assert.Equal("k-0", (string?)text["key"]!["data"]);
        Assert.Equal("utf8", (string?)text["value"]!["encoding"]);
        Assert.Equal("""{"n":0}""", (string?)text["value"]!["data"]);
        Assert.Equal(7, (int)text["value"]!["size"]!);
        Assert.False((bool)text["value"]!["truncated"]!);
        var header = Assert.Single(text["headers"]!.AsArray())!;
        Assert.Equal("trace", (string?)header["key"]);
        Assert.Equal("abc", (string?)header["value"]!["data"]);
        Assert.True((int)text["size"]! > 0);
        var binary = messages[1]!["value"]!;
        Assert.Equal("base64", (string?)binary["encoding"]);
        Assert.Equal(Convert.ToBase64String([0, 1, 2, 255]), (string?)binary["data"]);
    }

    [Fact]
    public async Task Messages_ByDefault_AreTheNewestLimit()
    {
        await _broker.CreateTopicAsync("tail");
        await ProduceAsync("tail", 0, 30);

        var page = (await _api.GetAsync("api/v1/topics/tail/partitions/0/messages?limit=10")).Ok();

        var offsets = page["messages"]!.AsArray().Select(m => (long)m!["offset"]!).ToList();
        Assert.Equal(Enumerable.Range(20, 10).Select(i => (long)i), offsets);
        Assert.Equal(30, (long)page["next_offset"]!);
    }

    [Fact]
    public async Task Messages_FromATimestamp_StartAtTheFirstMessageAtOrAfterIt()
    {
        await _broker.CreateTopicAsync("timed");
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            foreach (var (value, at) in new[] { ("old", 1_000_000L), ("middle", 2_000_000L), ("new", 3_000_000L) })
            {
                await producer.ProduceAsync(new TopicPartition("timed", 0), new Message<Null, string> { Value = value, Timestamp = new Timestamp(at, TimestampType.CreateTime) });
            }
        }

        var page = (await _api.GetAsync("api/v1/topics/timed/partitions/0/messages?timestamp=1500000")).Ok();

        Assert.Equal(["middle", "new"], page["messages"]!.AsArray().Select(m => (string?)m!["value"]!["data"]));
        Assert.Equal(1, (long)page["start_offset"]!);
    }

    [Fact]
    public async Task Messages_WithAQuery_KeepOnlyThoseContainingIt()
    {
        await _broker.CreateTopicAsync("searched");
        await ProduceAsync("searched", 0, 20);

        var page = (await _api.GetAsync("api/v1/topics/searched/partitions/0/messages?offset=0&q=VALUE-1")).Ok();

        var values = page["messages"]!.AsArray().Select(m => (string?)m!["value"]!["data"]).ToList();
        Assert.Equal(["value-1", .. Enumerable.Range(10, 10).Select(i => $"value-{i}")], values);
        Assert.Equal(20, (int)page["scanned"]!);
        Assert.Equal("VALUE-1", (string?)page["query"]);
    }

    [Fact]
    public async Task Messages_WithALargeValue_ShowAPreviewAndTheFullSize()
    {
        await _broker.CreateTopicAsync("large");
        var value = new string('é', 20_000);
        (await _api.PostAsync("api/v1/topics/large/messages", new JsonObject { ["value"] = value, ["partition"] = 0 })).Ok();

        var shown = (await _api.GetAsync("api/v1/topics/large/partitions/0/messages?offset=0")).Ok()["messages"]![0]!["value"]!;

        Assert.True((bool)shown["truncated"]!);
        Assert.Equal(40_000, (int)shown["size"]!);
        Assert.Equal("utf8", (string?)shown["encoding"]);
        Assert.Equal(new string('é', 8192), (string?)shown["data"]);
    }

    [Fact]
    public async Task Produce_ThroughTheApi_IsReadByAKafkaConsumer()
    {
        await _broker.CreateTopicAsync("produced", partitions: 2);

        var produced = (await _api.PostAsync("api/v1/topics/produced/messages", new JsonObject
        {
            ["partition"] = 1,
            ["key"] = "AAEC",
            ["key_encoding"] = "base64",
            ["value"] = "hello",
            ["headers"] = new JsonObject { ["origin"] = "api" },
        })).Ok();

        Assert.Equal(1, (int)produced["partition"]!);
        Assert.Equal(0, (long)produced["offset"]!);
        using var consumer = new ConsumerBuilder<byte[], string>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "reader" }).Build();
        consumer.Assign(new TopicPartitionOffset("produced", 1, 0));
        var record = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.NotNull(record);
        Assert.Equal([0, 1, 2], record.Message.Key);
        Assert.Equal("hello", record.Message.Value);
        Assert.Equal("api", Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("origin")));
    }

    [Fact]
    public async Task Produce_WithAKeyAndNoPartition_LandsWhereTheJavaClientsPartitionerPutsThatKey()
    {
        await _broker.CreateTopicAsync("keyed", partitions: 7);
        var keys = Enumerable.Range(0, 12).Select(i => $"customer-{i}").ToList();
        var expected = new Dictionary<string, int>();
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            foreach (var key in keys)
            {
                expected[key] = (await producer.ProduceAsync("keyed", new Message<string, string> { Key = key, Value = "x" })).Partition.Value;
            }
        }

        foreach (var key in keys)
        {
            var produced = (await _api.PostAsync("api/v1/topics/keyed/messages", new JsonObject { ["key"] = key, ["value"] = "y" })).Ok();
            Assert.Equal(expected[key], (int)produced["partition"]!);
        }
    }

    [Fact]
    public async Task Groups_WithACommitBelowTheEnd_ShowTheLagPerPartition()
    {
        await _broker.CreateTopicAsync("lagging", partitions: 2);
        await ProduceAsync("lagging", 0, 10);
        await ProduceAsync("lagging", 1, 3);
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "billing" }).Build())
        {
            consumer.Assign([new TopicPartition("lagging", 0), new TopicPartition("lagging", 1)]);
            consumer.Commit([new TopicPartitionOffset("lagging", 0, 4), new TopicPartitionOffset("lagging", 1, 3)]);
        }

        var groups = (await _api.GetAsync("api/v1/groups")).Ok()["groups"]!.AsArray();
        var detail = (await _api.GetAsync("api/v1/groups/billing")).Ok();

        var listed = Assert.Single(groups, g => (string?)g!["group_id"] == "billing")!;
        Assert.Equal("classic", (string?)listed["type"]);
        Assert.Equal("Empty", (string?)detail["state"]);
        Assert.Equal(6, (long)detail["total_lag"]!);
        var offsets = detail["offsets"]!.AsArray();
        Assert.Equal(2, offsets.Count);
        Assert.Equal(4, (long)offsets[0]!["committed_offset"]!);
        Assert.Equal(10, (long)offsets[0]!["log_end_offset"]!);
        Assert.Equal(6, (long)offsets[0]!["lag"]!);
        Assert.Equal(0, (long)offsets[1]!["lag"]!);
    }

    [Fact]
    public async Task Groups_WithAnActiveConsumer_ShowTheMemberAndItsAssignment()
    {
        await _broker.CreateTopicAsync("assigned");
        await ProduceAsync("assigned", 0, 1);
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            GroupId = "live",
            ClientId = "live-client",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("assigned");
        Assert.NotNull(consumer.Consume(TimeSpan.FromSeconds(30)));

        var detail = await _api.WaitForAsync("api/v1/groups/live", g => (string?)g["state"] == "Stable");

        var member = Assert.Single(detail["members"]!.AsArray())!;
        Assert.Equal("live-client", (string?)member["client_id"]);
        var assignment = Assert.Single(member["assignment"]!.AsArray())!;
        Assert.Equal("assigned", (string?)assignment["topic"]);
        Assert.Equal([0], assignment["partitions"]!.AsArray().Select(p => (int)p!));
        Assert.Equal("consumer", (string?)detail["protocol_type"]);
        consumer.Close();
    }

    [Fact]
    public async Task Group_ThatDoesNotExist_Is404()
    {
        var missing = await _api.GetAsync("api/v1/groups/ghosts");

        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("GROUP_ID_NOT_FOUND", (string?)missing.Json!["code"]);
    }

    [Fact]
    public async Task Console_IsServedFromTheBroker_WithItsScripts()
    {
        using var http = new HttpClient { BaseAddress = _broker.HttpAddress };

        using var index = await http.GetAsync("/");
        var html = await index.Content.ReadAsStringAsync();
        using var app = await http.GetAsync("/console/app.js");
        using var missing = await http.GetAsync("/console/nothing.js");

        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/console/app.js", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, app.StatusCode);
        Assert.Equal("text/javascript", app.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/console/app.js");
        again.Headers.IfNoneMatch.Add(app.Headers.ETag!);
        using var cached = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
    }

    private async Task ProduceAsync(string topic, int partition, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build();
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = $"value-{i}" });
        }
    }
}
