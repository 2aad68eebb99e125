using System.Collections;
using System.Text;

namespace Wharf.Configuration;

/// <summary>
/// Config keys in environment variables, the Confluent image convention with our prefix: <c>WHARF_</c> + the key
/// upper-cased with <c>.</c>→<c>_</c>, <c>-</c>→<c>__</c>, <c>_</c>→<c>___</c>
/// (<c>log.retention.ms</c> ↔ <c>WHARF_LOG_RETENTION_MS</c>). Thread-safety: stateless.
/// </summary>
public static class EnvironmentConfig
{
    public const string Prefix = "WHARF_";

    /// <summary>The variable name for <paramref name="key"/>.</summary>
    public static string ToVariableName(string key)
    {
        var name = new StringBuilder(Prefix);
        foreach (var c in key)
        {
            name.Append(c switch
            {
                '.' => "_",
                '-' => "__",
                '_' => "___",
                _ => char.ToUpperInvariant(c).ToString(),
            });
        }

        return name.ToString();
    }

    /// <summary>The key for a variable name, or null when it does not start with <see cref="Prefix"/>.</summary>
    public static string? ToKey(string variableName)
    {
        if (!variableName.StartsWith(Prefix, StringComparison.Ordinal) || variableName.Length == Prefix.Length)
        {
            return null;
        }

        var key = new StringBuilder();
        var rest = variableName.AsSpan(Prefix.Length);
        for (var i = 0; i < rest.Length;)
        {
            if (rest[i] != '_')
            {
                key.Append(char.ToLowerInvariant(rest[i++]));
                continue;
            }

            var run = 0;
            while (i < rest.Length && rest[i] == '_')
            {
                run++;
                i++;
            }

            key.Append('_', run / 3);
            key.Append((run % 3) switch { 1 => ".", 2 => "-", _ => "" });
        }

        return key.ToString();
    }

    /// <summary>The <c>WHARF_*</c> variables of this process.</summary>
    public static IReadOnlyDictionary<string, string> FromProcess()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith(Prefix, StringComparison.Ordinal) && entry.Value is string value)
            {
                result[name] = value;
            }
        }

        return result;
    }
}
