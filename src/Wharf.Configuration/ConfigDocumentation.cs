using System.Globalization;
using System.Text;

namespace Wharf.Configuration;

/// <summary>Renders the config reference tables of <c>docs/configuration.md</c> from <see cref="ConfigCatalogue"/>.</summary>
public static class ConfigDocumentation
{
    public const string BeginMarker = "<!-- BEGIN GENERATED: config tables (ConfigDocumentation.RenderTables) -->";
    public const string EndMarker = "<!-- END GENERATED -->";

    /// <summary>The broker table, the topic table and the list of ignored Kafka keys, in Markdown.</summary>
    public static string RenderTables()
    {
        var text = new StringBuilder();
        text.Append("### Broker keys\n\n");
        text.Append("| key | type | default | allowed | importance | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var d in ConfigCatalogue.BrokerKeys)
        {
            var meaning = d.Documentation + (d.Fallbacks.Count > 0
                ? " Older keys used when this is unset: " + string.Join(", ", d.Fallbacks.Select(f => $"`{f.Key}`")) + "."
                : "");
            Row(text, d, meaning);
        }

        text.Append("\n### Topic keys\n\nA topic key without an override takes the value of its broker key.\n\n");
        text.Append("| key | broker key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var d in ConfigCatalogue.TopicKeys)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| `{d.Name}` | `{d.BrokerSynonym}` | {d.Type.ToString().ToLowerInvariant()} | {DefaultText(d)} | {Escape(d.Validator?.Description ?? "")} | {Escape(d.Documentation)} |\n");
        }

        text.Append("\n### Kafka keys ignored with a warning\n\n");
        text.Append(string.Join(", ", ConfigCatalogue.UnsupportedKeys.Order(StringComparer.Ordinal).Select(k => $"`{k}`")));
        text.Append("; and every key starting with ");
        text.Append(string.Join(", ", ConfigCatalogue.UnsupportedKeyPrefixes.Select(k => $"`{k}`")));
        text.Append(".\n");
        return text.ToString();
    }

    private static void Row(StringBuilder text, ConfigDefinition d, string meaning) =>
        text.Append(CultureInfo.InvariantCulture,
            $"| `{d.Name}` | {d.Type.ToString().ToLowerInvariant()} | {DefaultText(d)} | {Escape(d.Validator?.Description ?? "")} | {d.Importance.ToString().ToLowerInvariant()} | {Escape(meaning)} |\n");

    private static string DefaultText(ConfigDefinition d) =>
        ConfigDefinition.Format(d.DefaultValue) is { } value ? (value.Length == 0 ? "\"\"" : $"`{value}`") : "(unset)";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
