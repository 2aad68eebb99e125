namespace Wharf.Cli;

/// <summary>Parses repeated <c>key=value</c> flag values. Thread-safety: stateless.</summary>
internal static class KeyValues
{
    /// <exception cref="CliException">a value has no <c>=</c> or an empty key.</exception>
    public static Dictionary<string, string> Parse(IEnumerable<string> values, string flag)
    {
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"{flag} expects key=value, got '{value}'");
            }

            parsed[value[..equals].Trim()] = value[(equals + 1)..];
        }

        return parsed;
    }
}
