using System.Collections;
using Wharf.Server;
using Wharf.Storage;

namespace Wharf;

/// <summary>
/// Builds <see cref="BrokerOptions"/> from Kafka-named keys. Sources, later wins: built-in defaults &lt; a
/// properties file (<c>--config</c>) &lt; <c>WHARF_*</c> environment variables (upper case, <c>.</c>→<c>_</c>,
/// <c>-</c>→<c>__</c>, <c>_</c>→<c>___</c>) &lt; <c>--set key=value</c>. An unknown key is an error naming the closest known key.
/// </summary>
internal static class BrokerSettings
{
    private static readonly string[] BrokerKeys =
    [
        "listeners", "advertised.listeners", "log.dirs", "node.id", "num.partitions", "auto.create.topics.enable",
        "socket.request.max.bytes", "log.retention.check.interval.ms", "default.replication.factor",
    ];

    public static IReadOnlyList<string> KnownKeys { get; } =
        [.. BrokerKeys, .. LogConfig.Keys.All.Select(k => k.StartsWith("log.", StringComparison.Ordinal) ? k : "log." + k).Where(k => k != "log.max.message.bytes"), "message.max.bytes"];

    public static BrokerOptions Load(string[] args, IDictionary environment)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length:
                    foreach (var (key, value) in ReadProperties(args[++i]))
                    {
                        values[key] = value;
                    }

                    break;
                case "--set" when i + 1 < args.Length:
                    var pair = args[++i];
                    var eq = pair.IndexOf('=');
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--set needs key=value, got '{pair}'.");
                    }

                    values[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
                    break;
                default:
                    throw new ArgumentException($"unexpected argument '{args[i]}'.");
            }
        }

        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith("WHARF_", StringComparison.Ordinal) && entry.Value is string value)
            {
                values.TryAdd(EnvironmentKey(name["WHARF_".Length..]), value);
            }
        }

        return Build(values);
    }

    /// <summary>WHARF_LOG_RETENTION_MS → log.retention.ms (___ → _, __ → -, _ → .).</summary>
    public static string EnvironmentKey(string name) =>
        name.Replace("___", "\u0001").Replace("__", "\u0002").Replace('_', '.').Replace('\u0001', '_').Replace('\u0002', '-').ToLowerInvariant();

    private static BrokerOptions Build(Dictionary<string, string> values)
    {
        foreach (var key in values.Keys)
        {
            if (!KnownKeys.Contains(key))
            {
                var closest = KnownKeys.MinBy(k => Distance(k, key));
                throw new ArgumentException($"unknown config '{key}'; did you mean '{closest}'?");
            }
        }

        var options = new BrokerOptions();
        if (values.TryGetValue("listeners", out var listeners))
        {
            var (host, port) = ParseListener(listeners);
            options = options with { Host = host, Port = port };
        }

        if (values.TryGetValue("advertised.listeners", out var advertised))
        {
            var (host, port) = ParseListener(advertised);
            options = options with { AdvertisedHost = host, AdvertisedPort = port };
        }

        var logKeys = values.Where(v => !BrokerKeys.Contains(v.Key));
        options = options with
        {
            DataDirectory = values.GetValueOrDefault("log.dirs", options.DataDirectory).Split(',')[0],
            NodeId = Int(values, "node.id", options.NodeId),
            DefaultPartitions = Int(values, "num.partitions", options.DefaultPartitions),
            AutoCreateTopics = bool.Parse(values.GetValueOrDefault("auto.create.topics.enable", "true")),
            MaxRequestBytes = Int(values, "socket.request.max.bytes", options.MaxRequestBytes),
            RetentionCheckInterval = TimeSpan.FromMilliseconds(Int(values, "log.retention.check.interval.ms", 300_000)),
            DefaultLogConfig = LogConfig.FromProperties(logKeys),
        };
        options.DefaultLogConfig.Validate();
        return options;
    }

    private static int Int(Dictionary<string, string> values, string key, int fallback) =>
        !values.TryGetValue(key, out var text) ? fallback
        : int.TryParse(text, out var value) ? value
        : throw new ArgumentException($"config '{key}' must be an integer, got '{text}'.");

    /// <summary>PLAINTEXT://host:port (the first listener).</summary>
    private static (string Host, int Port) ParseListener(string text)
    {
        var first = text.Split(',')[0].Trim();
        var address = first.Contains("://", StringComparison.Ordinal) ? first[(first.IndexOf("://", StringComparison.Ordinal) + 3)..] : first;
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"listener '{first}' is not NAME://host:port.");
        }

        var host = address[..colon];
        return (host.Length == 0 ? "0.0.0.0" : host, port);
    }

    private static IEnumerable<KeyValuePair<string, string>> ReadProperties(string path)
    {
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }

            var eq = line.IndexOfAny(['=', ':']);
            if (eq <= 0)
            {
                throw new ArgumentException($"{path}: '{line}' is not key=value.");
            }

            yield return new(line[..eq].Trim(), line[(eq + 1)..].Trim());
        }
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }

        return row[b.Length];
    }
}
