using Wharf.Configuration;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// The broker keys that shape the storage layer, turned into <see cref="LogManagerOptions"/>: the data directory, the
/// catalogue-derived default and per-topic <see cref="LogConfig"/>s (<see cref="LogConfigs"/>), and the background
/// work — retention checks, interval flushes, the cleaner, producer-id expiry. Thread-safety: stateless.
/// </summary>
public static class LogManagerSetup
{
    /// <param name="config">The broker's configuration.</param>
    /// <param name="topics">Topic configs: the resolver over <paramref name="config"/>.</param>
    /// <param name="overridesOf">A topic's stored overrides (from the metadata image).</param>
    public static LogManagerOptions Options(BrokerConfig config, TopicConfigResolver topics, Func<string, IReadOnlyDictionary<string, string>> overridesOf) => new()
    {
        DataDirectory = config.DataDir,
        DefaultConfig = LogConfigs.For(topics, new Dictionary<string, string>()),
        TopicConfig = topic => LogConfigs.For(topics, overridesOf(topic)),
        RetentionCheckInterval = TimeSpan.FromMilliseconds(config.LogRetentionCheckIntervalMs),
        FlushInterval = config.LogFlushMode == "interval" ? TimeSpan.FromMilliseconds(config.LogFlushIntervalMs) : null,
        CleanerEnable = config.LogCleanerEnable,
        CleanerBackoff = TimeSpan.FromMilliseconds(Math.Max(1, config.LogCleanerBackoffMs)),
        ProducerIdExpiration = TimeSpan.FromMilliseconds(config.ProducerIdExpirationMs),
    };
}
