using System.Text;
using Wharf.Configuration;

namespace Wharf.Cli;

/// <summary>
/// The broker keys <c>wharf start --help</c> lists — the ones people set first — with their defaults and meanings
/// taken from <see cref="ConfigCatalogue"/>, so the help never disagrees with the broker. Thread-safety: stateless.
/// </summary>
internal static class CommonKeys
{
    private static readonly string[] Names =
    [
        "listeners", "advertised.listeners", "log.dirs", "node.id", "http.listeners", "etcd.connect", "num.partitions",
        "default.replication.factor", "min.insync.replicas", "auto.create.topics.enable", "log.flush.mode",
        "log.retention.ms", "log.retention.bytes", "log.segment.bytes", "message.max.bytes",
    ];

    /// <summary>One line per key: name, default and the first sentence of its documentation, as aligned columns.</summary>
    public static string Render()
    {
        var rows = Names.Select(name => ConfigCatalogue.Broker[name]).Select(d => (d.Name, Default: DefaultOf(d), Meaning: FirstSentence(d.Documentation))).ToList();
        var nameWidth = rows.Max(r => r.Name.Length);
        var defaultWidth = rows.Max(r => r.Default.Length);
        var text = new StringBuilder();
        foreach (var (name, value, meaning) in rows)
        {
            text.Append("\n  ").Append(name.PadRight(nameWidth)).Append("  ").Append(value.PadRight(defaultWidth)).Append("  ").Append(meaning);
        }

        return text.ToString();
    }

    private static string DefaultOf(ConfigDefinition definition) =>
        ConfigDefinition.Format(definition.DefaultValue) is { } value ? (value.Length == 0 ? "\"\"" : value) : "(unset)";

    private static string FirstSentence(string text)
    {
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? text.TrimEnd('.') : text[..end];
    }
}
