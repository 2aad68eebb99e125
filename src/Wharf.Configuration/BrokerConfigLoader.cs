using System.Collections.Frozen;

namespace Wharf.Configuration;

/// <summary>
/// The inputs to <see cref="BrokerConfigLoader.Load"/>, lowest precedence first: a properties file, environment
/// variables (name → value; only <c>WHARF_*</c> ones are read), and <c>--set</c> overrides (later ones win).
/// </summary>
public sealed record BrokerConfigSources
{
    /// <summary>The <c>--config</c> properties file, or null for none.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Environment variables; null reads none (use <see cref="EnvironmentConfig.FromProcess"/> for the real ones).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary><c>--set key=value</c> overrides in command line order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Overrides { get; init; } = [];
}

/// <summary>
/// Builds a <see cref="BrokerConfig"/>: built-in defaults &lt; properties file &lt; environment &lt; overrides.
/// Unknown keys are errors naming the closest valid key (in the environment only when some key is close, since
/// other tools set WHARF_* variables too); Kafka keys we do not support are ignored with a warning
/// (<see cref="BrokerConfig.Warnings"/>); values are parsed and range-checked. Every problem is collected and
/// reported in one <see cref="ConfigException"/>. Thread-safety: stateless.
/// </summary>
public static class BrokerConfigLoader
{
    /// <summary>Loads and validates the configuration.</summary>
    /// <exception cref="ConfigException">unknown keys, unparsable or out-of-range values, inconsistent keys.</exception>
    public static BrokerConfig Load(BrokerConfigSources sources)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var explicitValues = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);

        void Accept(string key, string raw, ConfigSource source, string location)
        {
            if (ConfigCatalogue.Broker.TryGetValue(key, out var definition))
            {
                try
                {
                    explicitValues[key] = new ConfigValue(definition.ParseAndValidate(raw), source, key);
                }
                catch (ConfigException e)
                {
                    errors.Add($"{e.Message} ({location})");
                }
            }
            else if (ConfigCatalogue.Group.TryGetValue(key, out var groupKey))
            {
                errors.Add(groupKey.BrokerSynonym is { } brokerKey
                    ? $"'{key}' is a group config; the broker-wide default is '{brokerKey}' ({location})."
                    : $"'{key}' is a group config with no broker-wide default; set it per group with IncrementalAlterConfigs ({location}).");
            }
            else if (ConfigCatalogue.IsUnsupported(key))
            {
                warnings.Add($"Config '{key}' ({location}) is a Kafka setting Wharf does not support yet; ignored: {ConfigCatalogue.UnsupportedReason(key)}.");
            }
            else if (ConfigCatalogue.Topic.TryGetValue(key, out var topicKey))
            {
                errors.Add($"'{key}' is a topic config; the broker-wide default is '{topicKey.BrokerSynonym}' ({location}).");
            }
            else if (source == ConfigSource.Environment && KeySuggester.Closest(key, ConfigCatalogue.Broker.Keys) is null)
            {
                // The environment is ambient (scripts and tests set WHARF_* variables of their own): only a near
                // miss of a real key is treated as a typo.
                warnings.Add($"Environment variable {location["environment variable ".Length..]} names no config ('{key}'); ignored.");
            }
            else
            {
                errors.Add($"{KeySuggester.UnknownKeyMessage("config", key, ConfigCatalogue.Broker.Keys)} ({location})");
            }
        }

        if (sources.ConfigFile is { } path)
        {
            try
            {
                foreach (var line in PropertiesFile.Load(path))
                {
                    Accept(line.Key, line.Value, ConfigSource.File, $"{path} line {line.LineNumber}");
                }
            }
            catch (ConfigException e)
            {
                errors.AddRange(e.Errors);
            }
        }

        foreach (var (name, value) in (sources.Environment ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (EnvironmentConfig.ToKey(name) is { } key)
            {
                Accept(key, value, ConfigSource.Environment, $"environment variable {name}");
            }
        }

        foreach (var (key, value) in sources.Overrides)
        {
            Accept(key, value, ConfigSource.Override, $"--set {key}");
        }

        var values = Resolve(explicitValues);
        CheckConsistency(values, explicitValues, errors);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return new BrokerConfig(values.ToFrozenDictionary(StringComparer.Ordinal), explicitValues.ToFrozenDictionary(StringComparer.Ordinal), warnings);
    }

    /// <summary>Splits a <c>--set</c> argument <c>key=value</c>.</summary>
    /// <exception cref="ConfigException">no <c>=</c> or an empty key.</exception>
    public static KeyValuePair<string, string> ParseOverride(string argument)
    {
        var equals = argument.IndexOf('=');
        return equals <= 0
            ? throw new ConfigException($"Expected --set key=value, got '{argument}'.")
            : new KeyValuePair<string, string>(argument[..equals].Trim(), argument[(equals + 1)..].Trim());
    }

    /// <summary>
    /// Takes <c>--config path</c> and <c>--set key=value</c> (also <c>--config=path</c>, <c>--set=key=value</c>)
    /// out of <paramref name="arguments"/>, returning the sources (with the process environment) and the rest.
    /// </summary>
    /// <exception cref="ConfigException">a flag without its value, a second <c>--config</c>, a malformed <c>--set</c>.</exception>
    public static BrokerConfigSources ParseArguments(IReadOnlyList<string> arguments, out IReadOnlyList<string> remaining)
    {
        string? configFile = null;
        var overrides = new List<KeyValuePair<string, string>>();
        var rest = new List<string>();
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            string? Value(string flag)
            {
                if (argument.StartsWith(flag + "=", StringComparison.Ordinal))
                {
                    return argument[(flag.Length + 1)..];
                }

                if (argument != flag)
                {
                    return null;
                }

                return i + 1 < arguments.Count ? arguments[++i] : throw new ConfigException($"{flag} needs a value.");
            }

            if (Value("--config") is { } file)
            {
                configFile = configFile is null ? file : throw new ConfigException("--config may be given only once.");
            }
            else if (Value("--set") is { } setting)
            {
                overrides.Add(ParseOverride(setting));
            }
            else
            {
                rest.Add(argument);
            }
        }

        remaining = rest;
        return new BrokerConfigSources { ConfigFile = configFile, Environment = EnvironmentConfig.FromProcess(), Overrides = overrides };
    }

    /// <summary>Fills defaults and resolves fallbacks: the key itself, then each fallback in order, then the default.</summary>
    private static Dictionary<string, ConfigValue> Resolve(Dictionary<string, ConfigValue> explicitValues)
    {
        var values = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        foreach (var definition in ConfigCatalogue.BrokerKeys)
        {
            if (explicitValues.TryGetValue(definition.Name, out var set))
            {
                values[definition.Name] = set;
                continue;
            }

            var fallback = definition.Fallbacks.FirstOrDefault(f => explicitValues.ContainsKey(f.Key));
            values[definition.Name] = fallback is null
                ? new ConfigValue(definition.DefaultValue, ConfigSource.Default, definition.Name)
                : new ConfigValue(Scale(definition, explicitValues[fallback.Key].Value!, fallback.Factor), explicitValues[fallback.Key].Source, fallback.Key);
        }

        return values;
    }

    /// <summary>A fallback's value in the unit of the key it stands in for; negative means "unlimited" (-1), as Kafka.</summary>
    private static object Scale(ConfigDefinition target, object value, long factor)
    {
        if (target.Type != ConfigType.Long)
        {
            return value;
        }

        var number = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        if (number < 0)
        {
            return -1L;
        }

        return number > long.MaxValue / factor ? long.MaxValue : number * factor;
    }

    private static void CheckConsistency(Dictionary<string, ConfigValue> values, Dictionary<string, ConfigValue> explicitValues, List<string> errors)
    {
        long Number(string key) => Convert.ToInt64(values[key].Value, System.Globalization.CultureInfo.InvariantCulture);

        if (Number("group.min.session.timeout.ms") > Number("group.max.session.timeout.ms"))
        {
            errors.Add("'group.min.session.timeout.ms' must not be larger than 'group.max.session.timeout.ms'.");
        }

        if (Number("group.share.min.record.lock.duration.ms") > Number("group.share.max.record.lock.duration.ms"))
        {
            errors.Add("'group.share.min.record.lock.duration.ms' must not be larger than 'group.share.max.record.lock.duration.ms'.");
        }
        else if (Number("group.share.record.lock.duration.ms") < Number("group.share.min.record.lock.duration.ms")
            || Number("group.share.record.lock.duration.ms") > Number("group.share.max.record.lock.duration.ms"))
        {
            errors.Add("'group.share.record.lock.duration.ms' must lie within 'group.share.min.record.lock.duration.ms' and 'group.share.max.record.lock.duration.ms'.");
        }

        if (Number("group.share.heartbeat.interval.ms") >= Number("group.share.session.timeout.ms"))
        {
            errors.Add("'group.share.heartbeat.interval.ms' must be less than 'group.share.session.timeout.ms'.");
        }

        if (explicitValues.TryGetValue("advertised.listeners", out var advertised) && values["listeners"].Value is IReadOnlyList<string> listenerTexts)
        {
            var names = listenerTexts.Select(t => Listener.Parse(t).Name).ToHashSet(StringComparer.Ordinal);
            foreach (var listener in ((IReadOnlyList<string>)advertised.Value!).Select(Listener.Parse))
            {
                if (!names.Contains(listener.Name))
                {
                    errors.Add($"advertised listener '{listener}' names no listener in 'listeners'.");
                }

                if (listener.Host is "" or "0.0.0.0" or "::" || listener.Port == 0)
                {
                    errors.Add($"advertised listener '{listener}' must give a host and port clients can connect to.");
                }
            }
        }
    }
}
