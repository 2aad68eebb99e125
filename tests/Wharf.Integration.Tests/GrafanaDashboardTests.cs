using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Client;
using Wharf.TestKit.Tools;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// <c>docs/grafana/wharf-dashboard.json</c> stays true to the broker: every series a panel queries is one a broker
/// actually serves once it has traffic, a group and committed offsets — a renamed metric fails here, not on a
/// user's dashboard.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    [Fact]
    public async Task EveryMetricTheDashboardQueries_IsServedByABrokerWithTraffic()
    {
        var queried = QueriedMetrics();
        Assert.True(queried.Count >= 15, $"only {queried.Count} metrics found in the dashboard");
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("dashboard", partitions: 1);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await producer.ProduceAsync("dashboard", new Message<Null, string> { Value = "v" });
        }

        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "dashboard-group", EnableAutoCommit = false }).Build();
        consumer.Assign(new TopicPartition("dashboard", 0));
        consumer.Commit([new TopicPartitionOffset("dashboard", 0, 0)]);

        // A share group holding the record, for the queue panel.
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.IncrementalAlterConfigsAsync(new()
            {
                [new ConfigResource { Type = ResourceType.Group, Name = "dashboard-share" }] =
                    [new ConfigEntry { Name = "share.auto.offset.reset", Value = "earliest", IncrementalOperation = AlterConfigOpType.Set }],
            });
        }

        using var share = new ShareConsumer(new ShareConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "dashboard-share", AcknowledgementMode = ShareAcknowledgementMode.Explicit });
        share.Subscribe(["dashboard"]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!share.Consume(TimeSpan.FromMilliseconds(500)).Any(r => !r.IsError))
        {
            Assert.True(DateTime.UtcNow < deadline, "the share consumer got nothing");
        }

        var served = (await PrometheusText.ScrapeAsync(broker)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        var missing = queried.Where(name => !served.Contains(name)).ToList();
        Assert.True(missing.Count == 0, "queried but not served: " + string.Join(", ", missing));
    }

    /// <summary>Every metric name in the dashboard's PromQL: the identifiers directly followed by a label selector.</summary>
    private static HashSet<string> QueriedMetrics()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(ExternalTools.RepositoryRoot, "docs", "grafana", "wharf-dashboard.json")));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                foreach (Match match in SelectedMetric().Matches(target.GetProperty("expr").GetString()!))
                {
                    names.Add(match.Groups[1].Value);
                }
            }
        }

        return names;
    }

    [GeneratedRegex(@"\b([a-z_][a-z0-9_]*)\{")]
    private static partial Regex SelectedMetric();
}
