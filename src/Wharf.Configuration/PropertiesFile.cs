using System.Globalization;
using System.Text;

namespace Wharf.Configuration;

/// <summary>One <c>key=value</c> line of a properties file, with where it was found (for error messages).</summary>
public readonly record struct PropertyLine(string Key, string Value, int LineNumber);

/// <summary>
/// Reads Kafka's <c>server.properties</c> format (Java's <c>java.util.Properties</c>): one <c>key=value</c> per
/// logical line; the key ends at the first unescaped <c>=</c>, <c>:</c> or whitespace; lines whose first
/// non-blank character is <c>#</c> or <c>!</c> are comments; a line ending in an odd number of <c>\</c> continues
/// on the next (whose leading whitespace is dropped); <c>\t \n \r \f \uXXXX</c> and <c>\x</c> escapes are
/// understood. Unlike Java, trailing whitespace of a value is trimmed too. A key given twice keeps the later
/// value. Thread-safety: stateless.
/// </summary>
public static class PropertiesFile
{
    /// <summary>Reads <paramref name="path"/> (UTF-8).</summary>
    /// <exception cref="ConfigException">the file cannot be read.</exception>
    public static IReadOnlyList<PropertyLine> Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read config file '{path}': {e.Message}");
        }

        return Parse(text);
    }

    /// <summary>Parses properties text; never fails (malformed escapes are kept literally).</summary>
    public static IReadOnlyList<PropertyLine> Parse(string text)
    {
        var result = new List<PropertyLine>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var firstLine = i + 1;
            var line = lines[i].TrimStart();
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }

            var logical = new StringBuilder();
            while (EndsWithContinuation(line) && i + 1 < lines.Length)
            {
                logical.Append(line, 0, line.Length - 1);
                line = lines[++i].TrimStart();
            }

            logical.Append(EndsWithContinuation(line) ? line[..^1] : line);
            var (key, value) = Split(logical.ToString());
            if (key.Length > 0)
            {
                result.Add(new PropertyLine(key, value.Trim(), firstLine));
            }
        }

        return result;
    }

    private static bool EndsWithContinuation(string line)
    {
        var backslashes = 0;
        for (var i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static (string Key, string Value) Split(string line)
    {
        var keyEnd = 0;
        while (keyEnd < line.Length && !(line[keyEnd] is '=' or ':' || char.IsWhiteSpace(line[keyEnd])))
        {
            keyEnd += line[keyEnd] == '\\' ? 2 : 1;
        }

        keyEnd = Math.Min(keyEnd, line.Length);
        var valueStart = keyEnd;
        while (valueStart < line.Length && char.IsWhiteSpace(line[valueStart]))
        {
            valueStart++;
        }

        if (valueStart < line.Length && line[valueStart] is '=' or ':')
        {
            valueStart++;
        }

        return (Unescape(line[..keyEnd]), Unescape(line[valueStart..]));
    }

    private static string Unescape(string text)
    {
        if (!text.Contains('\\'))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                result.Append(text[i]);
                continue;
            }

            var next = text[++i];
            switch (next)
            {
                case 't': result.Append('\t'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 'f': result.Append('\f'); break;
                case 'u' when i + 4 < text.Length
                    && ushort.TryParse(text.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    result.Append((char)code);
                    i += 4;
                    break;
                default: result.Append(next); break;
            }
        }

        return result.ToString();
    }
}
