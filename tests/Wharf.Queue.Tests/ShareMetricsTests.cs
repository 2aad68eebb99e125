using System.Globalization;
using System.Text.RegularExpressions;
using Wharf.Client;
using Wharf.Testing;
using static Wharf.Queue.Tests.QueueFixture;

namespace Wharf.Queue.Tests;

/// <summary>The share-group series of <c>/metrics</c>, against librdkafka's share consumer: lag and records in flight per share-partition.</summary>
public sealed class ShareMetricsTests
{
    [Fact]
    public async Task Scrape_ShowsTheShareGroupsLag_AndTheRecordsItHoldsUnacknowledged()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("metered");
        await SetGroupConfigsAsync(broker.BootstrapServers, "meters", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "metered", 20);
        using var consumer = Consumer(broker.BootstrapServers, "meters", maxPollRecords: 10);
        consumer.Subscribe(["metered"]);

        var batch = new List<ShareRecord>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (batch.Count == 0 && DateTime.UtcNow < deadline)
        {
            batch.AddRange(consumer.Consume(TimeSpan.FromMilliseconds(500)).Where(r => !r.IsError));
        }

        Assert.True(batch.Count >= 6, $"the first batch had {batch.Count} records");
        foreach (var record in batch.Where(r => r.Offset < 5))
        {
            consumer.Acknowledge(record, AcknowledgeType.Accept);
        }

        Assert.All(consumer.CommitSync(TimeSpan.FromSeconds(15)), r => Assert.True(r.Succeeded, $"commit failed: {r.Error}"));

        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(broker.HttpAddress!, "metrics"));

        Assert.Equal(15, Sample(text, "wharf_share_group_lag"));
        var acquired = Sample(text, "wharf_share_group_records_acquired");
        Assert.InRange(acquired, batch.Count - 5, 15);
    }

    private static double Sample(string text, string name)
    {
        var match = Regex.Match(text, $"^{name}\\{{group=\"meters\",topic=\"metered\",partition=\"0\"\\}} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} for meters/metered-0 is not in the scrape");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
