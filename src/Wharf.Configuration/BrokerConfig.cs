using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Wharf.Configuration;

/// <summary>A value as loaded: the parsed value (null when unset), its source, the key that supplied it.</summary>
internal sealed record ConfigValue(object? Value, ConfigSource Source, string SuppliedBy);

/// <summary>
/// The broker's configuration after loading (<see cref="BrokerConfigLoader"/>): every broker key of
/// <see cref="ConfigCatalogue.Broker"/> with its value and <see cref="Source"/>. Keys with older fallbacks
/// (<c>log.retention.ms</c> ← <c>log.retention.minutes</c> ← <c>log.retention.hours</c>) hold the resolved value.
/// Broker configs are static: changing one means a restart. Thread-safety: immutable.
/// </summary>
public sealed class BrokerConfig
{
    private readonly FrozenDictionary<string, ConfigValue> _values;

    /// <summary>Explicitly set keys (file, environment, override) before fallback resolution.</summary>
    private readonly FrozenDictionary<string, ConfigValue> _explicit;
    private readonly IReadOnlyList<Listener> _listeners;
    private readonly IReadOnlyList<Listener> _advertisedListeners;
    private readonly IReadOnlyList<string> _logDirs;

    internal BrokerConfig(FrozenDictionary<string, ConfigValue> values, FrozenDictionary<string, ConfigValue> explicitValues, IReadOnlyList<string> warnings)
    {
        _values = values;
        _explicit = explicitValues;
        Warnings = warnings;
        _listeners = ((IReadOnlyList<string>)Peek("listeners")!).Select(Listener.Parse).ToImmutableArray();
        _advertisedListeners = Peek("advertised.listeners") is IReadOnlyList<string> advertised
            ? advertised.Select(Listener.Parse).ToImmutableArray()
            : _listeners;
        _logDirs = (IReadOnlyList<string>)Peek("log.dirs")!;
    }

    /// <summary>Built-in defaults only.</summary>
    public static BrokerConfig Default { get; } = BrokerConfigLoader.Load(new BrokerConfigSources());

    /// <summary>Recognised-but-unsupported keys that were ignored, one sentence each; log them at start.</summary>
    public IReadOnlyList<string> Warnings { get; }

    public int NodeId => GetInt("node.id");

    /// <summary>The required cluster id, or null to use (or create) the one in meta.properties.</summary>
    public string? ClusterId => GetString("cluster.id");

    public IReadOnlyList<Listener> Listeners => Read("listeners", _listeners);

    /// <summary><c>advertised.listeners</c>, or <see cref="Listeners"/> when unset (port 0 is then the bound port's job).</summary>
    public IReadOnlyList<Listener> AdvertisedListeners => Read("advertised.listeners", _advertisedListeners);

    public IReadOnlyList<string> LogDirs => Read("log.dirs", _logDirs);

    /// <summary>The directory of meta.properties and the embedded metadata log: the first of <see cref="LogDirs"/>.</summary>
    public string DataDir => LogDirs[0];

    /// <summary><c>http.listeners</c>: where the metrics and health endpoints listen, or null when empty (no HTTP listener).</summary>
    public Listener? HttpListener => GetList("http.listeners") is [var first, ..] ? Listener.Parse(first) : null;

    /// <summary><c>http.allowed.hosts</c>: host names (beyond IP addresses, localhost and the listeners' hosts) the console and admin API serve.</summary>
    public IReadOnlyList<string> HttpAllowedHosts => GetList("http.allowed.hosts");

    public string? Rack => GetString("broker.rack");

    /// <summary><c>etcd.connect</c>: the cluster's etcd, or null for a single node on the embedded metadata log.</summary>
    public string? EtcdConnect => GetString("etcd.connect");

    /// <summary><c>broker.session.timeout.ms</c>.</summary>
    public TimeSpan BrokerSessionTimeout => TimeSpan.FromMilliseconds(GetInt("broker.session.timeout.ms"));

    /// <summary><c>broker.heartbeat.interval.ms</c>.</summary>
    public TimeSpan BrokerHeartbeatInterval => TimeSpan.FromMilliseconds(GetInt("broker.heartbeat.interval.ms"));

    /// <summary><c>controller.session.timeout.ms</c>.</summary>
    public TimeSpan ControllerSessionTimeout => TimeSpan.FromMilliseconds(GetInt("controller.session.timeout.ms"));

    /// <summary><c>auto.leader.rebalance.enable</c>.</summary>
    public bool AutoLeaderRebalanceEnable => GetBoolean("auto.leader.rebalance.enable");

    public int NumPartitions => GetInt("num.partitions");

    /// <summary><c>replica.lag.time.max.ms</c>.</summary>
    public TimeSpan ReplicaLagTimeMax => TimeSpan.FromMilliseconds(GetLong("replica.lag.time.max.ms"));

    /// <summary><c>replica.fetch.wait.max.ms</c>.</summary>
    public int ReplicaFetchWaitMaxMs => GetInt("replica.fetch.wait.max.ms");

    /// <summary><c>replica.fetch.min.bytes</c>.</summary>
    public int ReplicaFetchMinBytes => GetInt("replica.fetch.min.bytes");

    /// <summary><c>replica.fetch.linger.ms</c>.</summary>
    public TimeSpan ReplicaFetchLinger => TimeSpan.FromMilliseconds(GetInt("replica.fetch.linger.ms"));

    /// <summary><c>replica.fetch.max.bytes</c>.</summary>
    public int ReplicaFetchMaxBytes => GetInt("replica.fetch.max.bytes");

    /// <summary><c>replica.fetch.response.max.bytes</c>.</summary>
    public int ReplicaFetchResponseMaxBytes => GetInt("replica.fetch.response.max.bytes");

    /// <summary><c>replica.fetch.backoff.ms</c>.</summary>
    public TimeSpan ReplicaFetchBackoff => TimeSpan.FromMilliseconds(GetInt("replica.fetch.backoff.ms"));

    /// <summary><c>replica.socket.timeout.ms</c>.</summary>
    public TimeSpan ReplicaSocketTimeout => TimeSpan.FromMilliseconds(GetInt("replica.socket.timeout.ms"));

    /// <summary><c>num.replica.fetchers</c>.</summary>
    public int NumReplicaFetchers => GetInt("num.replica.fetchers");

    /// <summary>
    /// <c>default.replication.factor</c> as configured (3 when unset); the factor a topic gets also depends on the live
    /// brokers when it is unset (<c>Wharf.Metadata.DefaultReplicationFactor</c>).
    /// </summary>
    public int DefaultReplicationFactor => GetInt("default.replication.factor");

    public bool AutoCreateTopicsEnable => GetBoolean("auto.create.topics.enable");

    public bool DeleteTopicEnable => GetBoolean("delete.topic.enable");

    public int MessageMaxBytes => GetInt("message.max.bytes");

    public int SocketRequestMaxBytes => GetInt("socket.request.max.bytes");

    public long LogRetentionMs => GetLong("log.retention.ms");

    public long LogRetentionBytes => GetLong("log.retention.bytes");

    public int LogSegmentBytes => GetInt("log.segment.bytes");

    public long LogRollMs => GetLong("log.roll.ms");

    public long LogRetentionCheckIntervalMs => GetLong("log.retention.check.interval.ms");

    /// <summary><c>ack</c> or <c>interval</c>.</summary>
    public string LogFlushMode => GetString("log.flush.mode")!;

    public long LogFlushIntervalMs => GetLong("log.flush.interval.ms");

    public bool LogCleanerEnable => GetBoolean("log.cleaner.enable");

    public long LogCleanerBackoffMs => GetLong("log.cleaner.backoff.ms");

    public long ConnectionsMaxIdleMs => GetLong("connections.max.idle.ms");

    public int FetchMaxBytes => GetInt("fetch.max.bytes");

    public int TransactionalIdExpirationMs => GetInt("transactional.id.expiration.ms");

    public int MinInsyncReplicas => GetInt("min.insync.replicas");

    public int OffsetsTopicNumPartitions => GetInt("offsets.topic.num.partitions");

    public int OffsetsRetentionMinutes => GetInt("offsets.retention.minutes");

    public int GroupInitialRebalanceDelayMs => GetInt("group.initial.rebalance.delay.ms");

    public int GroupMinSessionTimeoutMs => GetInt("group.min.session.timeout.ms");

    public int GroupMaxSessionTimeoutMs => GetInt("group.max.session.timeout.ms");

    /// <summary><c>group.share.record.lock.duration.ms</c>: the default a share group's own setting overrides.</summary>
    public int ShareRecordLockDurationMs => GetInt("group.share.record.lock.duration.ms");

    /// <summary><c>group.share.min.record.lock.duration.ms</c>.</summary>
    public int ShareMinRecordLockDurationMs => GetInt("group.share.min.record.lock.duration.ms");

    /// <summary><c>group.share.max.record.lock.duration.ms</c>.</summary>
    public int ShareMaxRecordLockDurationMs => GetInt("group.share.max.record.lock.duration.ms");

    /// <summary><c>group.share.delivery.count.limit</c>.</summary>
    public int ShareDeliveryCountLimit => GetInt("group.share.delivery.count.limit");

    /// <summary><c>group.share.partition.max.record.locks</c>.</summary>
    public int SharePartitionMaxRecordLocks => GetInt("group.share.partition.max.record.locks");

    /// <summary><c>group.share.heartbeat.interval.ms</c>.</summary>
    public int ShareHeartbeatIntervalMs => GetInt("group.share.heartbeat.interval.ms");

    /// <summary><c>group.share.session.timeout.ms</c>.</summary>
    public int ShareSessionTimeoutMs => GetInt("group.share.session.timeout.ms");

    /// <summary><c>group.share.max.size</c>: most members of one share group.</summary>
    public int ShareGroupMaxSize => GetInt("group.share.max.size");

    /// <summary><c>group.share.dead.letter.topic</c>, or null when empty (no dead-letter topic).</summary>
    public string? ShareDeadLetterTopic => GetString("group.share.dead.letter.topic") is { Length: > 0 } topic ? topic : null;

    public int TransactionMaxTimeoutMs => GetInt("transaction.max.timeout.ms");

    public int TransactionStateLogNumPartitions => GetInt("transaction.state.log.num.partitions");

    public int ProducerIdExpirationMs => GetInt("producer.id.expiration.ms");

    /// <summary>
    /// Which keys the broker has read (<see cref="Get"/> and everything built on it, and the effective values of
    /// topics). DescribeConfigs and validation peek without counting as a read.
    /// </summary>
    public ConfigUsage Usage { get; } = new();

    /// <summary>The parsed value of a broker key, null when it has no default and is not set. Counts as a read (<see cref="Usage"/>).</summary>
    /// <exception cref="ArgumentException">not a broker key.</exception>
    public object? Get(string key)
    {
        var value = Peek(key);
        Usage.MarkBrokerKey(key);
        return value;
    }

    /// <summary>The value of a broker key without counting as a read: for DescribeConfigs, validation and defaults of topic keys.</summary>
    /// <exception cref="ArgumentException">not a broker key.</exception>
    internal object? Peek(string key) =>
        _values.TryGetValue(key, out var value) ? value.Value : throw new ArgumentException($"'{key}' is not a broker config key.", nameof(key));

    public int GetInt(string key) => Convert.ToInt32(Required(key), System.Globalization.CultureInfo.InvariantCulture);

    public long GetLong(string key) => Convert.ToInt64(Required(key), System.Globalization.CultureInfo.InvariantCulture);

    public double GetDouble(string key) => (double)Required(key);

    public bool GetBoolean(string key) => (bool)Required(key);

    /// <summary>A string key's value, null when unset.</summary>
    public string? GetString(string key) => (string?)Get(key);

    /// <summary>A list key's items; empty when unset.</summary>
    public IReadOnlyList<string> GetList(string key) => (IReadOnlyList<string>?)Get(key) ?? ImmutableArray<string>.Empty;

    /// <summary>Where a key's value came from; for a key resolved from a fallback, the fallback's source.</summary>
    public ConfigSource Source(string key) =>
        _values.TryGetValue(key, out var value) ? value.Source : throw new ArgumentException($"'{key}' is not a broker config key.", nameof(key));

    /// <summary>The key whose setting supplied <paramref name="key"/>'s value (itself, or a fallback such as <c>log.retention.hours</c>).</summary>
    public string SuppliedBy(string key) => _values[key].SuppliedBy;

    /// <summary>True when the key (not a fallback) was set explicitly in some source.</summary>
    public bool IsExplicitlySet(string key) => _explicit.ContainsKey(key);

    /// <summary>Every broker key for DescribeConfigs on this broker, in catalogue order.</summary>
    public IReadOnlyList<ConfigEntry> Describe() => ConfigCatalogue.BrokerKeys.Select(d => Describe(d.Name)).ToArray();

    /// <summary>One broker key for DescribeConfigs: value, source (static or default) and synonyms.</summary>
    public ConfigEntry Describe(string key)
    {
        var definition = ConfigCatalogue.Broker.TryGetValue(key, out var d)
            ? d
            : throw new ArgumentException($"'{key}' is not a broker config key.", nameof(key));
        var value = _values[key];
        return new ConfigEntry(
            key,
            definition.IsSensitive ? null : ConfigDefinition.Format(value.Value),
            value.Source == ConfigSource.Default ? KafkaConfigSource.DefaultConfig : KafkaConfigSource.StaticBrokerConfig,
            IsReadOnly: true,
            definition.IsSensitive,
            definition.Type,
            definition.Documentation,
            BrokerSynonyms(definition));
    }

    /// <summary>
    /// The broker-level synonyms of a broker key in precedence order: each of the key and its fallbacks that is
    /// explicitly set (STATIC_BROKER_CONFIG), then the key's default (DEFAULT_CONFIG) when it has one.
    /// </summary>
    internal IReadOnlyList<ConfigSynonym> BrokerSynonyms(ConfigDefinition definition)
    {
        var synonyms = new List<ConfigSynonym>();
        foreach (var name in definition.Fallbacks.Select(f => f.Key).Prepend(definition.Name))
        {
            if (_explicit.TryGetValue(name, out var set))
            {
                synonyms.Add(new ConfigSynonym(name, Redact(definition, set.Value), KafkaConfigSource.StaticBrokerConfig));
            }
        }

        if (definition.DefaultValue is not null)
        {
            synonyms.Add(new ConfigSynonym(definition.Name, Redact(definition, definition.DefaultValue), KafkaConfigSource.DefaultConfig));
        }

        return synonyms;
    }

    private static string? Redact(ConfigDefinition definition, object? value) =>
        definition.IsSensitive ? null : ConfigDefinition.Format(value);

    private T Read<T>(string key, T value)
    {
        Usage.MarkBrokerKey(key);
        return value;
    }

    private object Required(string key) =>
        Get(key) ?? throw new InvalidOperationException($"Config '{key}' has no value and no default.");
}
