using Prometheus;
using Wharf.Storage;

namespace Wharf.Server.Http;

/// <summary>
/// The storage layer's durability metrics in the broker's registry: <c>wharf_storage_fsync_seconds</c> (each fsync of
/// log data) and the group commit's <c>wharf_storage_group_commit_appends</c> (appends made durable by one round) and
/// <c>wharf_storage_group_commit_seconds</c> (a round's duration, the fsync wait an acks≥1 produce sees). One histogram
/// observation per fsync or round, never per record. Thread-safety: prometheus-net histograms are safe from any thread.
/// </summary>
internal sealed class StorageMetrics : IStorageMetrics
{
    // 50 µs … ~3.3 s: a page-cache fsync on tmpfs to a slow disk under load.
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.00005, 2, 17);

    private readonly Histogram _fsync;
    private readonly Histogram _roundAppends;
    private readonly Histogram _roundSeconds;

    public StorageMetrics(IMetricFactory factory)
    {
        _fsync = factory.CreateHistogram("wharf_storage_fsync_seconds", "Duration of each fsync of a log segment.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _roundAppends = factory.CreateHistogram("wharf_storage_group_commit_appends", "Appends made durable by one group-commit round (its batching factor).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 12) });
        _roundSeconds = factory.CreateHistogram("wharf_storage_group_commit_seconds", "Duration of one group-commit round (every fsync it made).", new HistogramConfiguration { Buckets = LatencyBuckets });
    }

    public void FsyncCompleted(TimeSpan duration) => _fsync.Observe(duration.TotalSeconds);

    public void GroupCommitCompleted(int appends, TimeSpan duration)
    {
        _roundAppends.Observe(appends);
        _roundSeconds.Observe(duration.TotalSeconds);
    }
}
