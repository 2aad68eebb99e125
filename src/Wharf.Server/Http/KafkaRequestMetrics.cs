using System.Diagnostics;
using Prometheus;
using Wharf.Protocol;

namespace Wharf.Server.Http;

/// <summary>
/// The request path's metrics: <c>wharf_kafka_requests_total{api,version}</c> and
/// <c>wharf_kafka_request_latency_seconds{api}</c>. The hot path only indexes an array and increments: the labelled
/// children are created once per (api, version) and cached. Thread-safety: safe from any thread; two threads racing
/// to create a child get the same one from prometheus-net.
/// </summary>
public sealed class KafkaRequestMetrics
{
    /// <summary>Versions above this share one slot per API in the cache (no Kafka API has reached it).</summary>
    private const int VersionSlots = 32;

    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Counter.Child?[] _requestChildren;
    private readonly Histogram.Child?[] _latencyChildren;
    private readonly int _apiSlots;

    internal KafkaRequestMetrics(IMetricFactory factory)
    {
        _requests = factory.CreateCounter("wharf_kafka_requests_total", "Kafka requests handled, by API and version.", ["api", "version"]);
        _latency = factory.CreateHistogram("wharf_kafka_request_latency_seconds", "Time from a request's decode to its response, by API.", ["api"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _apiSlots = Enum.GetValues<ApiKey>().Max(k => (int)k) + 1;
        _requestChildren = new Counter.Child?[_apiSlots * VersionSlots];
        _latencyChildren = new Histogram.Child?[_apiSlots];
    }

    /// <summary>Counts one handled request of <paramref name="key"/> v<paramref name="version"/> that started at <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void Observe(ApiKey key, short version, long startTimestamp)
    {
        var api = (int)key;
        if ((uint)api >= (uint)_apiSlots)
        {
            return;
        }

        var slot = (api * VersionSlots) + Math.Min((int)version, VersionSlots - 1);
        var requests = _requestChildren[slot] ??= _requests.WithLabels(key.ToString(), version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        requests.Inc();
        var latency = _latencyChildren[api] ??= _latency.WithLabels(key.ToString());
        latency.Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }
}
