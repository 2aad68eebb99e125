using System.Net;
using System.Net.Sockets;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Metadata;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// The broker's HTTP listener (<c>http.listeners</c>): <c>/metrics</c> in the Prometheus text format, read by a strict
/// parser, after real clients produced and committed; the health endpoints; bad requests; and the listener turned off.
/// </summary>
public sealed class HttpAdminTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private WharfBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await WharfBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Metrics_AfterAProduce_CountProduceRequestsAndShowTheHighWatermark()
    {
        await _broker.CreateTopicAsync("scraped", partitions: 1);
        await ProduceAsync("scraped", 7);

        var samples = await ScrapeAsync();

        var produce = samples.Where(s => s.Name == "wharf_kafka_requests_total" && s.Labels["api"] == "Produce").ToList();
        Assert.NotEmpty(produce);
        Assert.All(produce, s => Assert.True(short.TryParse(s.Labels["version"], out _), $"version label '{s.Labels["version"]}'"));
        Assert.True(produce.Sum(s => s.Value) > 0);
        Assert.True(samples.Single("wharf_kafka_request_latency_seconds_count", ("api", "Produce")).Value > 0);
        Assert.Equal(7, samples.Single("wharf_kafka_max_offset", ("topic", "scraped"), ("partition", "0")).Value);
        Assert.Equal(7, samples.Single("wharf_kafka_records_produced_total", ("topic", "scraped")).Value);
        Assert.True(samples.Single("wharf_kafka_request_bytes_total", ("topic", "scraped"), ("request", "produce")).Value > 0);
        Assert.True(samples.Single("wharf_kafka_log_size_bytes", ("topic", "scraped"), ("partition", "0")).Value > 0);
        Assert.Equal(1, samples.Single("wharf_kafka_log_segments", ("topic", "scraped"), ("partition", "0")).Value);
        Assert.Equal(0, samples.Single("wharf_kafka_under_replicated_partitions").Value);
        Assert.Equal(0, samples.Single("wharf_cluster_unavailable_partitions").Value);
        Assert.Contains(samples, s => s.Name == "dotnet_total_memory_bytes");
    }

    [Fact]
    public async Task ConsumerGroupLag_AfterACommitBelowTheEnd_IsTheDistanceToTheHighWatermark()
    {
        await _broker.CreateTopicAsync("lagging", partitions: 1);
        await ProduceAsync("lagging", 10);
        var partition = new TopicPartition("lagging", 0);
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "lag-group" }).Build())
        {
            consumer.Assign(partition);
            consumer.Commit([new TopicPartitionOffset(partition, 4)]);
        }

        var lag = (await ScrapeAsync()).Single("kafka_consumergroup_lag", ("consumergroup", "lag-group"), ("topic", "lagging"), ("partition", "0"));

        Assert.Equal(6, lag.Value);
    }

    [Fact]
    public async Task ConsumerGroupLag_OfADeletedGroup_IsGoneAtTheNextScrape()
    {
        await _broker.CreateTopicAsync("forgotten", partitions: 1);
        await ProduceAsync("forgotten", 2);
        var partition = new TopicPartition("forgotten", 0);
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "gone-group" }).Build())
        {
            consumer.Assign(partition);
            consumer.Commit([new TopicPartitionOffset(partition, 1)]);
        }

        Assert.Equal(1, (await ScrapeAsync()).Single("kafka_consumergroup_lag", ("consumergroup", "gone-group")).Value);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            await admin.DeleteGroupsAsync(["gone-group"]);
        }

        Assert.DoesNotContain(await ScrapeAsync(), s => s.Labels.TryGetValue("consumergroup", out var group) && group == "gone-group");
    }

    [Fact]
    public async Task FetchedBytes_AfterAConsumerReadsATopic_AreCountedForIt()
    {
        await _broker.CreateTopicAsync("read-back", partitions: 1);
        await ProduceAsync("read-back", 3);
        using (var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = _broker.BootstrapServers, GroupId = "reader", AutoOffsetReset = AutoOffsetReset.Earliest }).Build())
        {
            consumer.Assign(new TopicPartitionOffset("read-back", 0, 0));
            for (var i = 0; i < 3; i++)
            {
                Assert.NotNull(consumer.Consume(TimeSpan.FromSeconds(30)));
            }
        }

        var fetched = (await ScrapeAsync()).Single("wharf_kafka_request_bytes_total", ("topic", "read-back"), ("request", "fetch"));

        Assert.True(fetched.Value > 0);
    }

    [Fact]
    public async Task Health_OfAStartedBroker_IsLiveAndReady()
    {
        using var live = await Http.GetAsync(new Uri(_broker.HttpAddress!, "health/live"));
        using var ready = await Http.GetAsync(new Uri(_broker.HttpAddress!, "health/ready"));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"ready\"", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_OfAClusterMember_OnceRegistered_Is200()
    {
        await using var member = await InProcessBroker.StartClusterMemberAsync(new InMemoryMetadataStore(), 1);

        using var ready = await Http.GetAsync(new Uri($"http://{member.Broker.HttpEndPoint}/health/ready"));

        Assert.True(member.Broker.IsClusterMember);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_IsNotFound_AndAnotherMethodIsNotAllowed()
    {
        using var unknown = await Http.GetAsync(new Uri(_broker.HttpAddress!, "v1/nothing"));
        using var post = await Http.PostAsync(new Uri(_broker.HttpAddress!, "metrics"), new StringContent(""));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task GarbageRequests_AreAnsweredOrDropped_AndTheListenerKeepsServing()
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, _broker.HttpAddress!.Port);
        string[] garbage = ["\0\x01\x02 nonsense\r\n\r\n", "GET\r\n\r\n", "GET /metrics HTTP/9\r\n\r\n", new string('A', 20_000)];
        foreach (var request in garbage)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endPoint);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
            client.Client.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var statusLine = await reader.ReadLineAsync();
            // A client error: 400, or 414 for a request line longer than the limit.
            Assert.True(statusLine is null || statusLine.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"answer to garbage: {statusLine}");
        }

        using var live = await Http.GetAsync(new Uri(_broker.HttpAddress!, "health/live"));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task TwoBrokersInOneProcess_KeepTheirOwnMetrics()
    {
        await using var other = await WharfBroker.StartAsync();
        await _broker.CreateTopicAsync("only-on-the-first");
        await ProduceAsync("only-on-the-first", 1);

        using var response = await Http.GetAsync(new Uri(other.HttpAddress!, "metrics"));
        var samples = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.DoesNotContain(samples, s => s.Labels.TryGetValue("topic", out var topic) && topic == "only-on-the-first");
        Assert.DoesNotContain(samples, s => s.Name == "wharf_kafka_requests_total" && s.Labels["api"] == "Produce");
    }

    [Fact]
    public async Task EmptyHttpListeners_ServesNoHttp()
    {
        await using var quiet = await WharfBroker.StartAsync(new Dictionary<string, string> { ["http.listeners"] = "" });

        Assert.Null(quiet.HttpAddress);
        Assert.Contains("http.listeners", quiet.Config.Usage.BrokerKeysRead);
    }

    private async Task ProduceAsync(string topic, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build();
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"record-{i}" });
        }
    }

    private Task<IReadOnlyList<PrometheusSample>> ScrapeAsync() => PrometheusText.ScrapeAsync(_broker);
}
