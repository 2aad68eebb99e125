using Prometheus;
using Wharf.Coordinator;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Http;

/// <summary>
/// The broker's Prometheus registry: its own (never prometheus-net's static default), so brokers in one process
/// never share a metric. Request metrics are counted as requests pass (<see cref="Requests"/>); replication,
/// partition and consumer-group metrics are read from the managers when scraped (<see cref="ScrapeCollector"/>).
/// Lifecycle: built before the Kafka listener, bound to the broker's managers by <see cref="Bind"/> once they exist.
/// Thread-safety: safe from any thread.
/// </summary>
public sealed class BrokerMetrics
{
    private ScrapeCollector? _scrape;

    public BrokerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = new KafkaRequestMetrics(factory);
        Topics = new TopicTrafficMetrics(factory);
        Storage = new StorageMetrics(factory);
        Factory = factory;
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(() => Volatile.Read(ref _scrape)?.Collect());
    }

    /// <summary>The registry <c>/metrics</c> serialises.</summary>
    public CollectorRegistry Registry { get; }

    public KafkaRequestMetrics Requests { get; }

    public TopicTrafficMetrics Topics { get; }

    /// <summary>fsync and group-commit metrics, handed to the storage layer.</summary>
    public IStorageMetrics Storage { get; }

    internal IMetricFactory Factory { get; }

    /// <summary>From now on a scrape also reads the partitions, replication state and groups of these managers.</summary>
    internal void Bind(ReplicaManager replicas, GroupCoordinator groups, Func<int> openConnections, Share.SharePartitionManager? shares = null, Func<bool>? isActiveController = null) =>
        Volatile.Write(ref _scrape, new ScrapeCollector(Factory, replicas, groups, openConnections, shares, isActiveController));

    /// <summary>Writes every metric in the Prometheus text format 0.0.4.</summary>
    public Task WriteTextAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
