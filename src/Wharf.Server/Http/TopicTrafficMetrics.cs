using System.Collections.Concurrent;
using Prometheus;

namespace Wharf.Server.Http;

/// <summary>
/// Per-topic traffic of client requests: <c>wharf_kafka_records_produced_total{topic}</c> and
/// <c>wharf_kafka_request_bytes_total{topic,request="produce|fetch"}</c> (Redpanda's public names, our prefix). The
/// children of a topic are created on its first request and cached; a deleted topic's series stay until restart.
/// Thread-safety: safe from any thread.
/// </summary>
public sealed class TopicTrafficMetrics
{
    private readonly Counter _records;
    private readonly Counter _bytes;
    private readonly ConcurrentDictionary<string, Children> _topics = new(StringComparer.Ordinal);

    internal TopicTrafficMetrics(IMetricFactory factory)
    {
        _records = factory.CreateCounter("wharf_kafka_records_produced_total", "Records appended by Produce requests, by topic.", ["topic"]);
        _bytes = factory.CreateCounter("wharf_kafka_request_bytes_total", "Record bytes produced to or fetched from a topic by clients.", ["topic", "request"]);
    }

    /// <summary>One batch of <paramref name="records"/> records and <paramref name="bytes"/> bytes appended to <paramref name="topic"/>.</summary>
    public void Produced(string topic, int records, long bytes)
    {
        var children = For(topic);
        children.Records.Inc(records);
        children.Produced.Inc(bytes);
    }

    /// <summary><paramref name="bytes"/> record bytes of <paramref name="topic"/> sent in a client's Fetch response.</summary>
    public void Fetched(string topic, long bytes) => For(topic).Fetched.Inc(bytes);

    private Children For(string topic) =>
        _topics.TryGetValue(topic, out var children) ? children
        : _topics.GetOrAdd(topic, t => new Children(_records.WithLabels(t), _bytes.WithLabels(t, "produce"), _bytes.WithLabels(t, "fetch")));

    private sealed record Children(Counter.Child Records, Counter.Child Produced, Counter.Child Fetched);
}
