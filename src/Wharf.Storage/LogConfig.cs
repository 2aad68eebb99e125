using Wharf.Records;

namespace Wharf.Storage;

/// <summary>When an append's bytes are forced to disk (<c>log.flush.mode</c>).</summary>
public enum LogFlushMode
{
    /// <summary>
    /// An append's <see cref="LogAppendInfo.Durable"/> task completes only after its bytes are fsync'd. One
    /// shared <see cref="LogFlusher"/> fsyncs each dirty file once for every append that arrived meanwhile.
    /// </summary>
    Ack,

    /// <summary>Kafka's behaviour: fsync in the background every <c>log.flush.interval.ms</c>.</summary>
    Interval,
}

/// <summary>What happens to old data (<c>cleanup.policy</c>).</summary>
[Flags]
public enum CleanupPolicy
{
    /// <summary>Whole segments are deleted by time (<c>retention.ms</c>) and size (<c>retention.bytes</c>).</summary>
    Delete = 1,

    /// <summary>Closed segments keep only the newest record per key (<see cref="LogCleaner"/>).</summary>
    Compact = 2,
}

/// <summary>
/// Per-topic log settings, named after Kafka's topic config keys. Immutable: a config change replaces the record on
/// the <see cref="Log"/> (<see cref="Log.Config"/>), and the next append, roll or retention pass sees it.
/// <para>
/// One source of truth: the config catalogue (<c>Wharf.Configuration.ConfigCatalogue</c>) owns every key's default,
/// type and allowed range, and <c>Wharf.Server.LogConfigs</c> builds this record from a topic's effective config,
/// property by property, so values arrive validated and nothing here parses or range-checks them again. Storage may
/// not reference the configuration project (the layering keeps the log free of config loading), so the initialisers
/// below repeat the catalogue's defaults for code that uses storage alone (its tests, benchmarks);
/// <c>LogConfigsTests</c> proves <see cref="Default"/> equals the record built from the catalogue, so the two cannot
/// drift apart.
/// </para>
/// </summary>
public sealed record LogConfig
{
    public const long Day = 24L * 60 * 60 * 1000;

    /// <summary>Roll the active segment when the next append would make it larger (<c>segment.bytes</c>, 1 GiB).</summary>
    public int SegmentBytes { get; init; } = 1 << 30;

    /// <summary>Roll the active segment once its first batch is this old (<c>segment.ms</c>, 7 days).</summary>
    public long SegmentMs { get; init; } = 7 * Day;

    /// <summary>
    /// Up to this much is taken off <see cref="SegmentMs"/> for each segment, a different amount per segment, so
    /// partitions created together do not all roll together (<c>segment.jitter.ms</c>, 0).
    /// </summary>
    public long SegmentJitterMs { get; init; }

    /// <summary>
    /// Largest offset or time index file of a segment; an append that would need an index entry beyond it rolls the
    /// segment first, as Kafka does when an index is full (<c>segment.index.bytes</c>, 10 MiB).
    /// </summary>
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Delete closed segments whose newest timestamp is older than this; -1 keeps forever (<c>retention.ms</c>, 14 days).</summary>
    public long RetentionMs { get; init; } = 14 * Day;

    /// <summary>Delete the oldest segments while the partition is larger than this; -1 is unlimited (<c>retention.bytes</c>).</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary><c>cleanup.policy</c>: delete, compact or both.</summary>
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Delete;

    /// <summary>How long a tombstone survives compaction (<c>delete.retention.ms</c>, 1 day).</summary>
    public long DeleteRetentionMs { get; init; } = Day;

    /// <summary>A record is not compacted away until it is this old (<c>min.compaction.lag.ms</c>, 0).</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary>How long the files of a segment removed by retention or compaction stay open for readers (<c>file.delete.delay.ms</c>, 60 s).</summary>
    public long FileDeleteDelayMs { get; init; } = 60_000;

    /// <summary>Bytes of log between two sparse index entries (<c>index.interval.bytes</c>, 4096).</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>The largest batch accepted (<c>max.message.bytes</c>, 1048588).</summary>
    public int MaxMessageBytes { get; init; } = 1048588;

    /// <summary><c>message.timestamp.type</c>: keep the producer's time or stamp the broker's.</summary>
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary>CreateTime records may be at most this far in the past (<c>message.timestamp.before.max.ms</c>, unlimited).</summary>
    public long MessageTimestampBeforeMaxMs { get; init; } = long.MaxValue;

    /// <summary>CreateTime records may be at most this far in the future (<c>message.timestamp.after.max.ms</c>, unlimited).</summary>
    public long MessageTimestampAfterMaxMs { get; init; } = long.MaxValue;

    /// <summary>
    /// <c>compression.type</c>: null for <c>producer</c> (batches are stored as the producer sent them), else the codec
    /// every client batch in another codec is recompressed to on append (<see cref="CompressionType.None"/> for
    /// <c>uncompressed</c>).
    /// </summary>
    public CompressionType? Compression { get; init; }

    /// <summary>With acks=all, a write needs at least this many in-sync replicas (<c>min.insync.replicas</c>, 1).</summary>
    public int MinInsyncReplicas { get; init; } = 1;

    /// <summary><c>log.flush.mode</c> (Wharf): <see cref="LogFlushMode.Ack"/> by default.</summary>
    public LogFlushMode FlushMode { get; init; } = LogFlushMode.Ack;

    /// <summary>Background fsync period in <see cref="LogFlushMode.Interval"/> mode (<c>log.flush.interval.ms</c>, 1 s).</summary>
    public long FlushIntervalMs { get; init; } = 1000;

    public static LogConfig Default { get; } = new();

    public bool IsCompacted => (CleanupPolicy & CleanupPolicy.Compact) != 0;

    public bool IsDeleteEnabled => (CleanupPolicy & CleanupPolicy.Delete) != 0;
}
