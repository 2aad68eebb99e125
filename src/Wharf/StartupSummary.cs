using System.Globalization;
using Wharf.Configuration;
using Wharf.Server;

namespace Wharf;

/// <summary>
/// What <c>wharf start</c> prints for people: the banner (first, before anything is loaded, so a slow recovery is
/// already attributed), and once the broker serves, one line saying what was loaded and where to reach it. Log lines
/// go between the two. Thread-safety: stateless.
/// </summary>
internal static class StartupSummary
{
    public static string Version => typeof(StartupSummary).Assembly.GetName().Version?.ToString(3) ?? "?";

    public static string Banner(BrokerConfig config) =>
        $"Wharf {Version} — Kafka-compatible broker · node {config.NodeId} · " +
        (config.EtcdConnect is { Length: > 0 } etcd ? $"cluster member (etcd {etcd})" : "single node") +
        $" · data {Path.GetFullPath(config.DataDir)}";

    public static string Ready(KafkaBroker broker, TimeSpan startup)
    {
        var image = broker.Controller.Current;
        var topics = image.TopicsByName.Values.Where(t => !t.IsInternal).ToList();
        var partitions = topics.Sum(t => t.Partitions.Count);
        var bytes = broker.Replicas.Partitions.Where(p => !p.TopicPartition.Topic.StartsWith("__", StringComparison.Ordinal)).Sum(p => p.Size);
        var groups = broker.Groups.ListGroups().Count;
        var http = broker.HttpEndPoint is { } endPoint ? $"http://{endPoint}/ (console, /metrics, /health/ready)" : "http off";
        return string.Create(CultureInfo.InvariantCulture,
            $"Broker ready in {startup.TotalMilliseconds:0} ms: {topics.Count} topic(s), {partitions} partition(s), {Size(bytes)}, {groups} group(s) · " +
            $"kafka {broker.BootstrapServers} · {http} · Ctrl+C stops");
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };
}
