using System.Collections.Frozen;
using System.Collections.Immutable;
using Wharf.Common;

namespace Wharf.Configuration;

/// <summary>The outcome of validating config changes: <see cref="ErrorCode.None"/> or the Kafka error and why.</summary>
public readonly record struct ConfigValidationResult(ErrorCode Error, string? Message)
{
    public static ConfigValidationResult Ok => default;

    public bool IsValid => Error == ErrorCode.None;

    public static ConfigValidationResult Invalid(string message) => new(ErrorCode.InvalidConfig, message);
}

/// <summary>
/// Effective topic configs: a topic's overrides (stored in the metadata log) on top of the broker's static
/// config on top of the defaults, for every key of <see cref="ConfigCatalogue.TopicKeys"/>, with the source and
/// the synonym chain DescribeConfigs reports (<c>retention.ms</c> DYNAMIC_TOPIC_CONFIG → <c>log.retention.ms</c>
/// STATIC_BROKER_CONFIG → <c>log.retention.hours</c> … → DEFAULT_CONFIG). Also validates topic config changes.
/// Thread-safety: immutable; one instance serves every request.
/// </summary>
public sealed class TopicConfigResolver(BrokerConfig broker)
{
    public BrokerConfig Broker { get; } = broker;

    public static bool IsTopicKey(string key) => ConfigCatalogue.Topic.ContainsKey(key);

    /// <summary>
    /// DescribeConfigs entries for a topic with <paramref name="overrides"/>: every topic key when
    /// <paramref name="keys"/> is null, else just the named ones that are topic keys (others are skipped, as Kafka).
    /// </summary>
    public IReadOnlyList<ConfigEntry> Describe(IReadOnlyDictionary<string, string> overrides, IEnumerable<string>? keys = null)
    {
        var definitions = keys is null
            ? ConfigCatalogue.TopicKeys
            : keys.Distinct(StringComparer.Ordinal).Where(IsTopicKey).Select(k => ConfigCatalogue.Topic[k]);
        return definitions.Select(d => Describe(overrides, d)).ToArray();
    }

    /// <summary>The effective, typed values of every topic key.</summary>
    public TopicConfig Resolve(IReadOnlyDictionary<string, string> overrides)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var sources = new Dictionary<string, KafkaConfigSource>(StringComparer.Ordinal);
        foreach (var definition in ConfigCatalogue.TopicKeys)
        {
            var (value, source) = Effective(overrides, definition);
            values[definition.Name] = value;
            sources[definition.Name] = source;
        }

        return new TopicConfig(values.ToFrozenDictionary(StringComparer.Ordinal), sources.ToFrozenDictionary(StringComparer.Ordinal), Broker.Usage);
    }

    /// <summary>
    /// Validates a complete set of topic overrides (CreateTopics, AlterConfigs, the result of an incremental
    /// alter). Unknown keys, null or unparsable values and out-of-range values give
    /// <see cref="ErrorCode.InvalidConfig"/> with a message naming the key; the first problem is reported.
    /// </summary>
    public ConfigValidationResult Validate(IEnumerable<KeyValuePair<string, string?>> configs)
    {
        var parsed = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in configs)
        {
            if (ValidateOne(key, value) is { IsValid: false } problem)
            {
                return problem;
            }

            if (!parsed.TryAdd(key, ConfigCatalogue.Topic[key].Parse(value!)))
            {
                return new ConfigValidationResult(ErrorCode.InvalidRequest, $"Config '{key}' is given more than once.");
            }
        }

        long Number(string key) => Convert.ToInt64(
            parsed.TryGetValue(key, out var v) ? v : Effective(new Dictionary<string, string>(), ConfigCatalogue.Topic[key]).Value,
            System.Globalization.CultureInfo.InvariantCulture);

        return Number("min.compaction.lag.ms") > Number("max.compaction.lag.ms")
            ? ConfigValidationResult.Invalid("'min.compaction.lag.ms' must not be larger than 'max.compaction.lag.ms'.")
            : ConfigValidationResult.Ok;
    }

    /// <summary>Validates one key and value: a topic key, a non-null value that parses and is in range.</summary>
    public ConfigValidationResult ValidateOne(string key, string? value)
    {
        if (!ConfigCatalogue.Topic.TryGetValue(key, out var definition))
        {
            var topicKey = ConfigCatalogue.TopicKeys.FirstOrDefault(d => d.BrokerSynonym == key && d.Name != key);
            return ConfigValidationResult.Invalid(topicKey is not null
                ? $"'{key}' is a broker config; the topic config is '{topicKey.Name}'."
                : KeySuggester.UnknownKeyMessage("topic config", key, ConfigCatalogue.Topic.Keys));
        }

        if (value is null)
        {
            return ConfigValidationResult.Invalid($"Null value not supported for topic config '{key}'.");
        }

        try
        {
            definition.ParseAndValidate(value);
            return ConfigValidationResult.Ok;
        }
        catch (ConfigException e)
        {
            return ConfigValidationResult.Invalid(e.Message);
        }
    }

    private ConfigEntry Describe(IReadOnlyDictionary<string, string> overrides, ConfigDefinition definition)
    {
        var (value, source) = Effective(overrides, definition);
        var synonyms = new List<ConfigSynonym>();
        if (TryParseOverride(overrides, definition, out var overrideValue))
        {
            synonyms.Add(new ConfigSynonym(definition.Name, ConfigDefinition.Format(overrideValue), KafkaConfigSource.DynamicTopicConfig));
        }

        if (definition.BrokerSynonym is { } brokerKey)
        {
            synonyms.AddRange(Broker.BrokerSynonyms(ConfigCatalogue.Broker[brokerKey]));
        }

        return new ConfigEntry(definition.Name, definition.IsSensitive ? null : ConfigDefinition.Format(value), source,
            IsReadOnly: false, definition.IsSensitive, definition.Type, definition.Documentation, synonyms);
    }

    private (object? Value, KafkaConfigSource Source) Effective(IReadOnlyDictionary<string, string> overrides, ConfigDefinition definition)
    {
        if (TryParseOverride(overrides, definition, out var value))
        {
            return (value, KafkaConfigSource.DynamicTopicConfig);
        }

        if (definition.BrokerSynonym is { } brokerKey)
        {
            return (Broker.Peek(brokerKey), Broker.Source(brokerKey) == ConfigSource.Default
                ? KafkaConfigSource.DefaultConfig
                : KafkaConfigSource.StaticBrokerConfig);
        }

        return (definition.DefaultValue, KafkaConfigSource.DefaultConfig);
    }

    /// <summary>An override that no longer validates (say, after a range was tightened) is ignored, not fatal.</summary>
    private static bool TryParseOverride(IReadOnlyDictionary<string, string> overrides, ConfigDefinition definition, out object? value)
    {
        value = null;
        if (!overrides.TryGetValue(definition.Name, out var raw))
        {
            return false;
        }

        try
        {
            value = definition.ParseAndValidate(raw);
            return true;
        }
        catch (ConfigException)
        {
            return false;
        }
    }
}

/// <summary>
/// A topic's effective config: every topic key's typed value and its source. The server builds the storage's
/// <c>LogConfig</c> from it, key by key; every <see cref="Get"/> counts as a read of that topic key in the broker's
/// <see cref="ConfigUsage"/>. Thread-safety: immutable (the usage record is thread-safe).
/// </summary>
public sealed class TopicConfig
{
    private readonly FrozenDictionary<string, object?> _values;
    private readonly FrozenDictionary<string, KafkaConfigSource> _sources;
    private readonly ConfigUsage _usage;

    internal TopicConfig(FrozenDictionary<string, object?> values, FrozenDictionary<string, KafkaConfigSource> sources, ConfigUsage usage)
    {
        _values = values;
        _sources = sources;
        _usage = usage;
    }

    public long RetentionMs => GetLong("retention.ms");

    public long RetentionBytes => GetLong("retention.bytes");

    public int SegmentBytes => GetInt("segment.bytes");

    public long SegmentMs => GetLong("segment.ms");

    public IReadOnlyList<string> CleanupPolicy => GetList("cleanup.policy");

    public bool IsCompacted => CleanupPolicy.Contains("compact");

    public int MaxMessageBytes => GetInt("max.message.bytes");

    public string MessageTimestampType => GetString("message.timestamp.type");

    public string CompressionType => GetString("compression.type");

    public int MinInsyncReplicas => GetInt("min.insync.replicas");

    /// <summary><c>retention.consumed.groups</c>: the groups whose consumption removes this topic's segments; empty when off.</summary>
    public IReadOnlyList<string> RetentionConsumedGroups => GetList("retention.consumed.groups");

    /// <summary><c>unclean.leader.election.enable</c>: a replica outside the ISR may lead when no in-sync replica is live.</summary>
    public bool UncleanLeaderElectionEnable => GetBoolean("unclean.leader.election.enable");

    /// <summary>The effective value of a topic key; counts as a read of it (<see cref="ConfigUsage"/>).</summary>
    /// <exception cref="ArgumentException">not a topic key.</exception>
    public object? Get(string key)
    {
        var value = _values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"'{key}' is not a topic config key.", nameof(key));
        _usage.MarkTopicKey(key);
        return value;
    }

    public int GetInt(string key) => Convert.ToInt32(Get(key), System.Globalization.CultureInfo.InvariantCulture);

    public long GetLong(string key) => Convert.ToInt64(Get(key), System.Globalization.CultureInfo.InvariantCulture);

    public double GetDouble(string key) => (double)Get(key)!;

    public bool GetBoolean(string key) => (bool)Get(key)!;

    public string GetString(string key) => (string)Get(key)!;

    public IReadOnlyList<string> GetList(string key) => (IReadOnlyList<string>?)Get(key) ?? ImmutableArray<string>.Empty;

    public KafkaConfigSource Source(string key) => _sources[key];
}
