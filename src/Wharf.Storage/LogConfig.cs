using System.Globalization;
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
/// Per-topic log settings. Property names follow Kafka's topic config keys (see <see cref="Keys"/>); broker
/// defaults use the <c>log.</c> prefixed names. Immutable: a config change replaces the record on the
/// <see cref="Log"/> (<see cref="Log.Config"/>), and the next append, roll or retention pass sees it.
/// </summary>
public sealed record LogConfig
{
    public const long Day = 24L * 60 * 60 * 1000;

    /// <summary>Roll the active segment when the next append would make it larger (<c>segment.bytes</c>, 1 GiB).</summary>
    public int SegmentBytes { get; init; } = 1 << 30;

    /// <summary>Roll the active segment once its first batch is this old (<c>segment.ms</c>, 7 days).</summary>
    public long SegmentMs { get; init; } = 7 * Day;

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

    /// <summary>Bytes of log between two sparse index entries (<c>index.interval.bytes</c>, 4096).</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>The largest batch accepted (<c>max.message.bytes</c>, 1048588).</summary>
    public int MaxMessageBytes { get; init; } = 1048588;

    /// <summary><c>message.timestamp.type</c>: keep the producer's time or stamp the broker's.</summary>
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary><c>log.flush.mode</c> (Wharf): <see cref="LogFlushMode.Ack"/> by default.</summary>
    public LogFlushMode FlushMode { get; init; } = LogFlushMode.Ack;

    /// <summary>Background fsync period in <see cref="LogFlushMode.Interval"/> mode (<c>log.flush.interval.ms</c>, 1 s).</summary>
    public long FlushIntervalMs { get; init; } = 1000;

    public static LogConfig Default { get; } = new();

    public bool IsCompacted => (CleanupPolicy & CleanupPolicy.Compact) != 0;

    public bool IsDeleteEnabled => (CleanupPolicy & CleanupPolicy.Delete) != 0;

    /// <summary>The Kafka config keys this record understands, topic-level name first.</summary>
    public static class Keys
    {
        public const string SegmentBytes = "segment.bytes";
        public const string SegmentMs = "segment.ms";
        public const string RetentionMs = "retention.ms";
        public const string RetentionBytes = "retention.bytes";
        public const string CleanupPolicy = "cleanup.policy";
        public const string DeleteRetentionMs = "delete.retention.ms";
        public const string MinCompactionLagMs = "min.compaction.lag.ms";
        public const string IndexIntervalBytes = "index.interval.bytes";
        public const string MaxMessageBytes = "max.message.bytes";
        public const string MessageTimestampType = "message.timestamp.type";
        public const string FlushMode = "log.flush.mode";
        public const string FlushIntervalMs = "log.flush.interval.ms";

        public static IReadOnlyList<string> All { get; } =
        [
            SegmentBytes, SegmentMs, RetentionMs, RetentionBytes, CleanupPolicy, DeleteRetentionMs, MinCompactionLagMs,
            IndexIntervalBytes, MaxMessageBytes, MessageTimestampType, FlushMode, FlushIntervalMs,
        ];
    }

    /// <summary>
    /// Applies Kafka-style <c>key=value</c> overrides on top of <paramref name="defaults"/>. Topic-level names
    /// (<c>retention.ms</c>) and broker-level names (<c>log.retention.ms</c>) are both accepted.
    /// </summary>
    /// <exception cref="ArgumentException">an unknown key or an invalid value.</exception>
    public static LogConfig FromProperties(IEnumerable<KeyValuePair<string, string>> properties, LogConfig? defaults = null)
    {
        var config = defaults ?? Default;
        foreach (var (rawKey, value) in properties)
        {
            var key = rawKey.StartsWith("log.", StringComparison.Ordinal) && rawKey != Keys.FlushMode && rawKey != Keys.FlushIntervalMs
                ? rawKey["log.".Length..]
                : rawKey;
            if (key == "message.max.bytes")
            {
                key = Keys.MaxMessageBytes;
            }

            config = key switch
            {
                Keys.SegmentBytes => config with { SegmentBytes = ParseInt(key, value) },
                Keys.SegmentMs => config with { SegmentMs = ParseLong(key, value) },
                Keys.RetentionMs => config with { RetentionMs = ParseLong(key, value) },
                Keys.RetentionBytes => config with { RetentionBytes = ParseLong(key, value) },
                Keys.CleanupPolicy => config with { CleanupPolicy = ParseCleanupPolicy(value) },
                Keys.DeleteRetentionMs => config with { DeleteRetentionMs = ParseLong(key, value) },
                Keys.MinCompactionLagMs => config with { MinCompactionLagMs = ParseLong(key, value) },
                Keys.IndexIntervalBytes => config with { IndexIntervalBytes = ParseInt(key, value) },
                Keys.MaxMessageBytes => config with { MaxMessageBytes = ParseInt(key, value) },
                Keys.MessageTimestampType => config with { MessageTimestampType = ParseTimestampType(value) },
                Keys.FlushMode => config with { FlushMode = ParseFlushMode(value) },
                Keys.FlushIntervalMs => config with { FlushIntervalMs = ParseLong(key, value) },
                _ => throw new ArgumentException($"Unknown log config key '{rawKey}'.", nameof(properties)),
            };
        }

        config.Validate();
        return config;
    }

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the Kafka key.</summary>
    public void Validate()
    {
        Require(SegmentBytes >= 14 * 4, Keys.SegmentBytes, "must be at least 56 bytes");
        Require(SegmentMs >= 1, Keys.SegmentMs, "must be positive");
        Require(RetentionMs >= -1, Keys.RetentionMs, "must be -1 or more");
        Require(RetentionBytes >= -1, Keys.RetentionBytes, "must be -1 or more");
        Require(CleanupPolicy is CleanupPolicy.Delete or CleanupPolicy.Compact or (CleanupPolicy.Delete | CleanupPolicy.Compact), Keys.CleanupPolicy, "must be delete, compact or compact,delete");
        Require(DeleteRetentionMs >= 0, Keys.DeleteRetentionMs, "must not be negative");
        Require(MinCompactionLagMs >= 0, Keys.MinCompactionLagMs, "must not be negative");
        Require(IndexIntervalBytes >= 0, Keys.IndexIntervalBytes, "must not be negative");
        Require(MaxMessageBytes >= 0, Keys.MaxMessageBytes, "must not be negative");
        Require(FlushIntervalMs >= 1, Keys.FlushIntervalMs, "must be positive");
    }

    private static void Require(bool condition, string key, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"Invalid value for {key}: {message}.");
        }
    }

    private static int ParseInt(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new ArgumentException($"Invalid value '{value}' for {key}: expected a 32-bit integer.");

    private static long ParseLong(string key, string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new ArgumentException($"Invalid value '{value}' for {key}: expected a 64-bit integer.");

    private static CleanupPolicy ParseCleanupPolicy(string value)
    {
        CleanupPolicy policy = 0;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            policy |= part switch
            {
                "delete" => CleanupPolicy.Delete,
                "compact" => CleanupPolicy.Compact,
                _ => throw new ArgumentException($"Invalid value '{value}' for {Keys.CleanupPolicy}: expected delete, compact or both."),
            };
        }

        return policy == 0 ? throw new ArgumentException($"Empty value for {Keys.CleanupPolicy}.") : policy;
    }

    private static TimestampType ParseTimestampType(string value) => value switch
    {
        "CreateTime" => TimestampType.CreateTime,
        "LogAppendTime" => TimestampType.LogAppendTime,
        _ => throw new ArgumentException($"Invalid value '{value}' for {Keys.MessageTimestampType}: expected CreateTime or LogAppendTime."),
    };

    private static LogFlushMode ParseFlushMode(string value) => value switch
    {
        "ack" => LogFlushMode.Ack,
        "interval" => LogFlushMode.Interval,
        _ => throw new ArgumentException($"Invalid value '{value}' for {Keys.FlushMode}: expected ack or interval."),
    };
}
