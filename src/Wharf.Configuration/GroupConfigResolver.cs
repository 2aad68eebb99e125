using System.Collections.Frozen;
using System.Globalization;
using Wharf.Common;

namespace Wharf.Configuration;

/// <summary>
/// Effective group configs (resource type GROUP, KIP-848): a group's overrides (stored in the metadata log, possibly
/// before the group exists) on top of the broker's static config on top of the defaults, for every key of
/// <see cref="ConfigCatalogue.GroupKeys"/>, with the source and synonym chain DescribeConfigs reports
/// (<c>share.record.lock.duration.ms</c> DYNAMIC_GROUP_CONFIG → <c>group.share.record.lock.duration.ms</c>
/// STATIC_BROKER_CONFIG → DEFAULT_CONFIG). Also validates group config changes. The rules across keys: a record lock
/// duration lies within the broker's <c>group.share.min/max.record.lock.duration.ms</c>, and the heartbeat interval is
/// less than the session timeout. Thread-safety: immutable; one instance serves every request.
/// </summary>
public sealed class GroupConfigResolver(BrokerConfig broker)
{
    private const string LockDuration = "share.record.lock.duration.ms";
    private const string MinLockDuration = "group.share.min.record.lock.duration.ms";
    private const string MaxLockDuration = "group.share.max.record.lock.duration.ms";

    public BrokerConfig Broker { get; } = broker;

    public static bool IsGroupKey(string key) => ConfigCatalogue.Group.ContainsKey(key);

    /// <summary>
    /// DescribeConfigs entries for a group with <paramref name="overrides"/>: every group key when
    /// <paramref name="keys"/> is null, else just the named ones that are group keys (others are skipped, as Kafka).
    /// </summary>
    public IReadOnlyList<ConfigEntry> Describe(IReadOnlyDictionary<string, string> overrides, IEnumerable<string>? keys = null)
    {
        var definitions = keys is null
            ? ConfigCatalogue.GroupKeys
            : keys.Distinct(StringComparer.Ordinal).Where(IsGroupKey).Select(k => ConfigCatalogue.Group[k]);
        return definitions.Select(d => Describe(overrides, d)).ToArray();
    }

    /// <summary>
    /// The effective, typed values of every group key. An override that no longer validates (a bound was tightened
    /// since it was set) is ignored: the group gets the broker's value.
    /// </summary>
    public GroupConfig Resolve(IReadOnlyDictionary<string, string> overrides)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var definition in ConfigCatalogue.GroupKeys)
        {
            values[definition.Name] = Effective(overrides, definition, countRead: true).Value;
        }

        return new GroupConfig(values.ToFrozenDictionary(StringComparer.Ordinal), Broker.Usage);
    }

    /// <summary>
    /// Validates a complete set of group overrides (AlterConfigs, the result of an incremental alter): every key a
    /// group key, every value non-null, parsable and in range, and the rules across keys on the effective values.
    /// Problems give <see cref="ErrorCode.InvalidConfig"/> with a message naming the key; the first is reported.
    /// </summary>
    public ConfigValidationResult Validate(IEnumerable<KeyValuePair<string, string?>> configs)
    {
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in configs)
        {
            if (ValidateOne(key, value) is { IsValid: false } problem)
            {
                return problem;
            }

            if (!overrides.TryAdd(key, value!))
            {
                return new ConfigValidationResult(ErrorCode.InvalidRequest, $"Config '{key}' is given more than once.");
            }
        }

        long Number(string key) => Convert.ToInt64(Effective(overrides, ConfigCatalogue.Group[key], countRead: false).Value, CultureInfo.InvariantCulture);

        return Number("share.heartbeat.interval.ms") >= Number("share.session.timeout.ms")
            ? ConfigValidationResult.Invalid(
                $"'share.heartbeat.interval.ms' ({Number("share.heartbeat.interval.ms")}) must be less than 'share.session.timeout.ms' ({Number("share.session.timeout.ms")}).")
            : ConfigValidationResult.Ok;
    }

    /// <summary>Validates one key and value: a group key, a non-null value that parses and is in range.</summary>
    public ConfigValidationResult ValidateOne(string key, string? value)
    {
        if (!ConfigCatalogue.Group.TryGetValue(key, out var definition))
        {
            var groupKey = ConfigCatalogue.GroupKeys.FirstOrDefault(d => d.BrokerSynonym == key);
            return ConfigValidationResult.Invalid(groupKey is not null
                ? $"'{key}' is a broker config; the group config is '{groupKey.Name}'."
                : KeySuggester.UnknownKeyMessage("group config", key, ConfigCatalogue.Group.Keys));
        }

        if (value is null)
        {
            return ConfigValidationResult.Invalid($"Null value not supported for group config '{key}'.");
        }

        try
        {
            var parsed = definition.ParseAndValidate(value);
            return LockDurationProblem(key, parsed, countRead: false) is { } problem
                ? ConfigValidationResult.Invalid($"Invalid value '{value}' for configuration '{key}': {problem}.")
                : ConfigValidationResult.Ok;
        }
        catch (ConfigException e)
        {
            return ConfigValidationResult.Invalid(e.Message);
        }
    }

    private ConfigEntry Describe(IReadOnlyDictionary<string, string> overrides, ConfigDefinition definition)
    {
        var (value, source) = Effective(overrides, definition, countRead: false);
        var synonyms = new List<ConfigSynonym>();
        if (TryParseOverride(overrides, definition, countRead: false, out var overrideValue))
        {
            synonyms.Add(new ConfigSynonym(definition.Name, ConfigDefinition.Format(overrideValue), KafkaConfigSource.DynamicGroupConfig));
        }

        if (definition.BrokerSynonym is { } brokerKey)
        {
            synonyms.AddRange(Broker.BrokerSynonyms(ConfigCatalogue.Broker[brokerKey]));
        }
        else if (definition.DefaultValue is not null)
        {
            synonyms.Add(new ConfigSynonym(definition.Name, ConfigDefinition.Format(definition.DefaultValue), KafkaConfigSource.DefaultConfig));
        }

        return new ConfigEntry(definition.Name, ConfigDefinition.Format(value), source, IsReadOnly: false, IsSensitive: false,
            definition.Type, definition.Documentation, synonyms);
    }

    private (object? Value, KafkaConfigSource Source) Effective(IReadOnlyDictionary<string, string> overrides, ConfigDefinition definition, bool countRead)
    {
        if (TryParseOverride(overrides, definition, countRead, out var value))
        {
            return (value, KafkaConfigSource.DynamicGroupConfig);
        }

        if (definition.BrokerSynonym is { } brokerKey)
        {
            return (countRead ? Broker.Get(brokerKey) : Broker.Peek(brokerKey), Broker.Source(brokerKey) == ConfigSource.Default
                ? KafkaConfigSource.DefaultConfig
                : KafkaConfigSource.StaticBrokerConfig);
        }

        return (definition.DefaultValue, KafkaConfigSource.DefaultConfig);
    }

    private bool TryParseOverride(IReadOnlyDictionary<string, string> overrides, ConfigDefinition definition, bool countRead, out object? value)
    {
        value = null;
        if (!overrides.TryGetValue(definition.Name, out var raw))
        {
            return false;
        }

        try
        {
            value = definition.ParseAndValidate(raw);
            return LockDurationProblem(definition.Name, value, countRead) is null;
        }
        catch (ConfigException)
        {
            return false;
        }
    }

    /// <summary>For <c>share.record.lock.duration.ms</c>, why the value lies outside the broker's bounds; else null.</summary>
    private string? LockDurationProblem(string key, object value, bool countRead)
    {
        if (key != LockDuration)
        {
            return null;
        }

        var min = Convert.ToInt64(countRead ? Broker.Get(MinLockDuration) : Broker.Peek(MinLockDuration), CultureInfo.InvariantCulture);
        var max = Convert.ToInt64(countRead ? Broker.Get(MaxLockDuration) : Broker.Peek(MaxLockDuration), CultureInfo.InvariantCulture);
        var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        return number < min || number > max
            ? $"must be in [{min},...,{max}] ('{MinLockDuration}' and '{MaxLockDuration}')"
            : null;
    }
}

/// <summary>
/// A group's effective config: every group key's typed value. The server builds the share coordinator's settings from
/// it, key by key; every <see cref="Get"/> counts as a read of that group key in the broker's <see cref="ConfigUsage"/>.
/// Thread-safety: immutable (the usage record is thread-safe).
/// </summary>
public sealed class GroupConfig
{
    private readonly FrozenDictionary<string, object?> _values;
    private readonly ConfigUsage _usage;

    internal GroupConfig(FrozenDictionary<string, object?> values, ConfigUsage usage)
    {
        _values = values;
        _usage = usage;
    }

    /// <summary><c>share.record.lock.duration.ms</c>.</summary>
    public int ShareRecordLockDurationMs => GetInt("share.record.lock.duration.ms");

    /// <summary><c>share.delivery.count.limit</c>.</summary>
    public int ShareDeliveryCountLimit => GetInt("share.delivery.count.limit");

    /// <summary><c>share.heartbeat.interval.ms</c>.</summary>
    public int ShareHeartbeatIntervalMs => GetInt("share.heartbeat.interval.ms");

    /// <summary><c>share.session.timeout.ms</c>.</summary>
    public int ShareSessionTimeoutMs => GetInt("share.session.timeout.ms");

    /// <summary><c>share.auto.offset.reset</c>: <c>latest</c> or <c>earliest</c>.</summary>
    public string ShareAutoOffsetReset => GetString("share.auto.offset.reset");

    /// <summary><c>share.isolation.level</c>: <c>read_uncommitted</c> or <c>read_committed</c>.</summary>
    public string ShareIsolationLevel => GetString("share.isolation.level");

    /// <summary><c>share.dead.letter.topic</c>, or null when empty (no dead-letter topic).</summary>
    public string? ShareDeadLetterTopic => GetString("share.dead.letter.topic") is { Length: > 0 } topic ? topic : null;

    /// <summary>The effective value of a group key; counts as a read of it (<see cref="ConfigUsage"/>).</summary>
    /// <exception cref="ArgumentException">not a group key.</exception>
    public object? Get(string key)
    {
        var value = _values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"'{key}' is not a group config key.", nameof(key));
        _usage.MarkGroupKey(key);
        return value;
    }

    public int GetInt(string key) => Convert.ToInt32(Get(key), CultureInfo.InvariantCulture);

    public string GetString(string key) => (string)Get(key)!;
}
