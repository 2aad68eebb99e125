using System.Globalization;
using System.Text;

namespace Wharf.Configuration;

/// <summary>Renders the config reference tables of <c>docs/configuration.md</c> from <see cref="ConfigCatalogue"/>.</summary>
public static class ConfigDocumentation
{
    public const string BeginMarker = "<!-- BEGIN GENERATED: config tables (ConfigDocumentation.RenderTables) -->";
    public const string EndMarker = "<!-- END GENERATED -->";

    /// <summary>The broker table, the topic table, the group table and the list of ignored Kafka keys, in Markdown.</summary>
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

        text.Append("\n### Topic keys\n\nA topic key without an override takes the value of its broker key (Wharf's own keys, which have none, take their default). Keys marked ");
        text.Append("**no effect** are accepted, stored and described (Kafka clients and tools set them) but Wharf does not act on them; ");
        text.Append("the row says why.\n\n");
        text.Append("| key | broker key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var d in ConfigCatalogue.TopicKeys)
        {
            var meaning = d.NoEffect is { } why ? $"**No effect**: {why}. {d.Documentation}" : d.Documentation;
            var broker = d.BrokerSynonym is { } synonym ? $"`{synonym}`" : "";
            text.Append(CultureInfo.InvariantCulture,
                $"| `{d.Name}` | {broker} | {d.Type.ToString().ToLowerInvariant()} | {DefaultText(d)} | {Escape(d.Validator?.Description ?? "")} | {Escape(meaning)} |\n");
        }

        text.Append("\n### Group keys\n\nSet per group with IncrementalAlterConfigs (or AlterConfigs) on resource type GROUP, also before the ");
        text.Append("group exists. A group key without an override takes the value of its broker key, or its own default when it has none.\n\n");
        text.Append("| key | broker key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var d in ConfigCatalogue.GroupKeys)
        {
            var broker = d.BrokerSynonym is { } synonym ? $"`{synonym}`" : "";
            text.Append(CultureInfo.InvariantCulture,
                $"| `{d.Name}` | {broker} | {d.Type.ToString().ToLowerInvariant()} | {DefaultText(d)} | {Escape(d.Validator?.Description ?? "")} | {Escape(d.Documentation)} |\n");
        }

        text.Append("\n### Kafka broker keys ignored with a warning\n\n");
        text.Append("Setting one of these starts the broker with a warning that names the key and the reason.\n\n");
        text.Append("| keys | why they are ignored |\n| --- | --- |\n");
        foreach (var (reason, keys) in ConfigCatalogue.UnsupportedKeyGroups)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {string.Join(", ", keys.Select(k => $"`{k}`"))} | {Escape(reason)} |\n");
        }

        text.Append(CultureInfo.InvariantCulture,
            $"| every key starting with {string.Join(", ", ConfigCatalogue.UnsupportedKeyPrefixes.Select(k => $"`{k}`"))} | {Escape(ConfigCatalogue.UnsupportedReason(""))} |\n");
        return text.ToString();
    }

    private static void Row(StringBuilder text, ConfigDefinition d, string meaning) =>
        text.Append(CultureInfo.InvariantCulture,
            $"| `{d.Name}` | {d.Type.ToString().ToLowerInvariant()} | {DefaultText(d)} | {Escape(d.Validator?.Description ?? "")} | {d.Importance.ToString().ToLowerInvariant()} | {Escape(meaning)} |\n");

    private static string DefaultText(ConfigDefinition d) =>
        ConfigDefinition.Format(d.DefaultValue) is { } value ? (value.Length == 0 ? "\"\"" : $"`{value}`") : "(unset)";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
