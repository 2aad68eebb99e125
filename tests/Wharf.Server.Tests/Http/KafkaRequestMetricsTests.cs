using System.Diagnostics;
using System.Text;
using Wharf.Protocol;
using Wharf.Server.Http;

namespace Wharf.Server.Tests.Http;

public sealed class KafkaRequestMetricsTests
{
    [Fact]
    public void Observe_AfterTheFirstRequestOfAnApiVersion_AllocatesNothing()
    {
        var metrics = new BrokerMetrics();
        metrics.Requests.Observe(ApiKey.Produce, 9, Stopwatch.GetTimestamp());
        metrics.Topics.Produced("t", 10, 1000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            metrics.Requests.Observe(ApiKey.Produce, 9, Stopwatch.GetTimestamp());
            metrics.Topics.Produced("t", 10, 1000);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Observe_CountsPerApiAndVersion_AndTimesPerApi()
    {
        var metrics = new BrokerMetrics();
        metrics.Requests.Observe(ApiKey.Produce, 9, Stopwatch.GetTimestamp());
        metrics.Requests.Observe(ApiKey.Produce, 9, Stopwatch.GetTimestamp());
        metrics.Requests.Observe(ApiKey.Produce, 3, Stopwatch.GetTimestamp());

        using var text = new MemoryStream();
        await metrics.WriteTextAsync(text, default);
        var exposition = Encoding.UTF8.GetString(text.ToArray());

        Assert.Contains("wharf_kafka_requests_total{api=\"Produce\",version=\"9\"} 2", exposition, StringComparison.Ordinal);
        Assert.Contains("wharf_kafka_requests_total{api=\"Produce\",version=\"3\"} 1", exposition, StringComparison.Ordinal);
        Assert.Contains("wharf_kafka_request_latency_seconds_count{api=\"Produce\"} 3", exposition, StringComparison.Ordinal);
    }
}
