namespace Wharf.Configuration;

/// <summary>
/// One config as DescribeConfigs reports it: the effective value (null when unset or sensitive), where it came
/// from, and its synonyms in precedence order (the value that wins first). Immutable.
/// </summary>
public sealed record ConfigEntry(
    string Name,
    string? Value,
    KafkaConfigSource Source,
    bool IsReadOnly,
    bool IsSensitive,
    ConfigType Type,
    string Documentation,
    IReadOnlyList<ConfigSynonym> Synonyms);

/// <summary>A key that (could) supply a config's value: the topic override, a broker key, or the default.</summary>
public sealed record ConfigSynonym(string Name, string? Value, KafkaConfigSource Source);
