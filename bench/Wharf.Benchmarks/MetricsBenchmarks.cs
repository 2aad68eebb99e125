using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Wharf.Protocol;
using Wharf.Server.Http;

namespace Wharf.Benchmarks;

/// <summary>
/// What the broker's metrics add to one Produce request on the hot path: the request counter and latency histogram
/// (<see cref="KafkaRequestMetrics.Observe"/>) and the per-topic record and byte counters
/// (<see cref="TopicTrafficMetrics.Produced"/>), against a registry as a broker builds it. Compare with the
/// per-request costs of <c>HotPathBenchmarks</c> (decode, validate, append).
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private readonly BrokerMetrics _metrics = new();
    private long _started;

    [GlobalSetup]
    public void Setup() => _started = Stopwatch.GetTimestamp();

    [Benchmark]
    public void ProduceRequestMetrics()
    {
        _metrics.Requests.Observe(ApiKey.Produce, 9, _started);
        _metrics.Topics.Produced("orders", 1000, 1 << 20);
    }

    [Benchmark]
    public void GroupCommitRoundMetrics() => _metrics.Storage.GroupCommitCompleted(64, TimeSpan.FromMilliseconds(2));
}
