using Wharf.Configuration;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// Builds a topic's <see cref="LogConfig"/> from its effective configuration (overrides over broker keys over the
/// catalogue's defaults): the one place where topic keys become storage settings. Each key is read through
/// <see cref="TopicConfig"/>, which records the read (<see cref="ConfigUsage"/>); values were validated by the
/// catalogue, so they are only converted here. Thread-safety: stateless.
/// </summary>
public static class LogConfigs
{
    public static LogConfig For(TopicConfigResolver resolver, IReadOnlyDictionary<string, string> overrides)
    {
        var broker = resolver.Broker;
        var topic = resolver.Resolve(overrides);
        return new LogConfig
        {
            SegmentBytes = topic.GetInt("segment.bytes"),
            SegmentMs = topic.GetLong("segment.ms"),
            SegmentJitterMs = topic.GetLong("segment.jitter.ms"),
            SegmentIndexBytes = topic.GetInt("segment.index.bytes"),
            RetentionMs = topic.GetLong("retention.ms"),
            RetentionBytes = topic.GetLong("retention.bytes"),
            CleanupPolicy = CleanupPolicyOf(topic.GetList("cleanup.policy")),
            DeleteRetentionMs = topic.GetLong("delete.retention.ms"),
            MinCompactionLagMs = topic.GetLong("min.compaction.lag.ms"),
            FileDeleteDelayMs = topic.GetLong("file.delete.delay.ms"),
            IndexIntervalBytes = topic.GetInt("index.interval.bytes"),
            MaxMessageBytes = topic.GetInt("max.message.bytes"),
            MessageTimestampType = topic.GetString("message.timestamp.type") == "LogAppendTime" ? TimestampType.LogAppendTime : TimestampType.CreateTime,
            MessageTimestampBeforeMaxMs = topic.GetLong("message.timestamp.before.max.ms"),
            MessageTimestampAfterMaxMs = topic.GetLong("message.timestamp.after.max.ms"),
            Compression = CompressionOf(topic.GetString("compression.type")),
            MinInsyncReplicas = topic.GetInt("min.insync.replicas"),
            FlushMode = broker.LogFlushMode == "interval" ? LogFlushMode.Interval : LogFlushMode.Ack,
            FlushIntervalMs = broker.LogFlushIntervalMs,
        };
    }

    /// <summary><c>compression.type</c>: null for <c>producer</c>, else the codec to store batches with.</summary>
    public static CompressionType? CompressionOf(string compressionType) => compressionType switch
    {
        "producer" => null,
        "uncompressed" => CompressionType.None,
        "gzip" => CompressionType.Gzip,
        "snappy" => CompressionType.Snappy,
        "lz4" => CompressionType.Lz4,
        "zstd" => CompressionType.Zstd,
        _ => throw new ArgumentException($"Unknown compression.type '{compressionType}'.", nameof(compressionType)),
    };

    private static CleanupPolicy CleanupPolicyOf(IReadOnlyList<string> policies)
    {
        CleanupPolicy policy = 0;
        foreach (var name in policies)
        {
            policy |= name == "compact" ? CleanupPolicy.Compact : CleanupPolicy.Delete;
        }

        return policy;
    }
}
