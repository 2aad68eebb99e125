using System.Collections.Immutable;
using System.Globalization;

namespace Wharf.Configuration;

/// <summary>
/// An older key whose value, when explicitly set, stands in for a newer one, scaled by <see cref="Factor"/>:
/// <c>log.retention.hours</c> is a fallback of <c>log.retention.ms</c> with factor 3,600,000. Fallbacks are
/// consulted in the order listed, after the key itself (Kafka's precedence: ms &gt; minutes &gt; hours).
/// </summary>
public sealed record ConfigFallback(string Key, long Factor = 1);

/// <summary>
/// One config key: its Kafka name, type, default, allowed values and a one-line description. Values are
/// parsed into <see cref="int"/>, <see cref="short"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="string"/> or an immutable list of strings (<see cref="ConfigType.List"/>).
/// Thread-safety: immutable.
/// </summary>
public sealed class ConfigDefinition
{
    public ConfigDefinition(
        string name,
        ConfigType type,
        string? defaultValue,
        ConfigValidator? validator,
        ConfigImportance importance,
        string documentation,
        ConfigScope scope = ConfigScope.Broker,
        string? brokerSynonym = null,
        IReadOnlyList<ConfigFallback>? fallbacks = null,
        string? noEffect = null)
    {
        NoEffect = noEffect;
        Name = name;
        Type = type;
        Validator = validator;
        Importance = importance;
        Documentation = documentation;
        Scope = scope;
        BrokerSynonym = brokerSynonym;
        Fallbacks = fallbacks ?? [];
        if (defaultValue is not null)
        {
            DefaultValue = Parse(defaultValue);
            var problem = validator?.Check(DefaultValue);
            if (problem is not null)
            {
                throw new InvalidOperationException($"The default of {name} is invalid: {problem}.");
            }
        }
    }

    /// <summary>The Kafka key, e.g. <c>log.retention.ms</c>.</summary>
    public string Name { get; }

    public ConfigType Type { get; }

    /// <summary>The parsed default, or null when the key has none (it is then absent unless set).</summary>
    public object? DefaultValue { get; }

    public ConfigValidator? Validator { get; }

    public ConfigImportance Importance { get; }

    /// <summary>One line, our own words.</summary>
    public string Documentation { get; }

    public ConfigScope Scope { get; }

    /// <summary>For a topic key, the broker key that supplies its default (<c>retention.ms</c> → <c>log.retention.ms</c>).</summary>
    public string? BrokerSynonym { get; }

    /// <summary>For a broker key, older keys that supply its value when it is not set itself.</summary>
    public IReadOnlyList<ConfigFallback> Fallbacks { get; }

    public bool IsSensitive => Type == ConfigType.Password;

    /// <summary>
    /// For a key Wharf accepts but does not act on, why (documented, and checked: nothing may read it); null for a
    /// key that takes effect.
    /// </summary>
    public string? NoEffect { get; }

    /// <summary>Parses <paramref name="raw"/> (trimmed) without range checks.</summary>
    /// <exception cref="ConfigException">the text is not a value of <see cref="Type"/>.</exception>
    public object Parse(string raw)
    {
        var text = raw.Trim();
        switch (Type)
        {
            case ConfigType.Boolean:
                if (bool.TryParse(text, out var flag))
                {
                    return flag;
                }

                throw Invalid(raw, "expected true or false");
            case ConfigType.Int:
                return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                    ? i
                    : throw Invalid(raw, "expected a 32-bit integer");
            case ConfigType.Short:
                return short.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s)
                    ? s
                    : throw Invalid(raw, "expected a 16-bit integer");
            case ConfigType.Long:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                    ? l
                    : throw Invalid(raw, "expected a 64-bit integer");
            case ConfigType.Double:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                    ? d
                    : throw Invalid(raw, "expected a number");
            case ConfigType.List:
                return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToImmutableArray();
            default:
                return text;
        }
    }

    /// <summary>Parses and range-checks <paramref name="raw"/>.</summary>
    /// <exception cref="ConfigException">the value does not parse or is out of range; the message names the key.</exception>
    public object ParseAndValidate(string raw)
    {
        var value = Parse(raw);
        var problem = Validator?.Check(value);
        return problem is null ? value : throw Invalid(raw, problem);
    }

    /// <summary>The canonical text of a parsed value, as DescribeConfigs reports it (lists comma-joined).</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable<string> list => string.Join(",", list),
        _ => value.ToString(),
    };

    public override string ToString() => Name;

    private ConfigException Invalid(string raw, string problem) =>
        new($"Invalid value '{raw}' for configuration '{Name}': {problem}.");
}
