namespace Wharf.Storage;

/// <summary>
/// Where the storage layer reports what a metrics endpoint shows about durability: how long each fsync of log data
/// took, and each group-commit round (how many appends one round made durable, in what time).
/// The storage layer knows no metrics library; the broker plugs one in. Implementations must be cheap and safe from
/// any thread: they run on the flusher and fsync threads, once per fsync or round (never once per record).
/// </summary>
public interface IStorageMetrics
{
    /// <summary>A log segment's fsync (data and metadata) finished after <paramref name="duration"/>.</summary>
    void FsyncCompleted(TimeSpan duration);

    /// <summary>A group-commit round made <paramref name="appends"/> waiting appends durable in <paramref name="duration"/>.</summary>
    void GroupCommitCompleted(int appends, TimeSpan duration);
}
