using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Wharf.Integration.Tests;

/// <summary>One sample of a scrape: metric name, labels and value.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4 for tests: every line must be a <c># HELP</c>, a
/// <c># TYPE</c> (once per family, before its samples), another comment, or a well-formed sample of a declared family;
/// anything else throws <see cref="FormatException"/> naming the line.
/// </summary>
internal static partial class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>GET <c>/metrics</c> of <paramref name="broker"/>: 200 with the 0.0.4 content type, parsed strictly.</summary>
    public static async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync(Wharf.Testing.WharfBroker broker)
    {
        using var response = await Http.GetAsync(new Uri(broker.HttpAddress!, "metrics"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var lines = text.Split('\n');
        if (lines[^1].Length != 0)
        {
            throw new FormatException("the exposition does not end with a line feed");
        }

        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 4 && parts[1] == "TYPE")
                {
                    if (!MetricName().IsMatch(parts[2]) || !Types.Contains(parts[3]) || !types.TryAdd(parts[2], parts[3]))
                    {
                        throw new FormatException($"line {i + 1}: bad or repeated TYPE: {line}");
                    }
                }
                else if (parts.Length >= 3 && parts[1] == "HELP" && !MetricName().IsMatch(parts[2]))
                {
                    throw new FormatException($"line {i + 1}: bad HELP: {line}");
                }

                continue;
            }

            var sample = ParseSample(line, i + 1);
            if (FamilyOf(sample.Name, types) is null)
            {
                throw new FormatException($"line {i + 1}: sample of an undeclared family: {line}");
            }

            samples.Add(sample);
        }

        return samples;
    }

    /// <summary>The single sample named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public static PrometheusSample Single(this IReadOnlyList<PrometheusSample> samples, string name, params (string Key, string Value)[] labels) =>
        Assert.Single(samples, s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    private static string? FamilyOf(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name))
        {
            return name;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var type) && type is "histogram" or "summary")
            {
                return name[..^suffix.Length];
            }
        }

        return null;
    }

    private static PrometheusSample ParseSample(string line, int number)
    {
        var nameEnd = line.IndexOfAny(['{', ' ']);
        if (nameEnd <= 0 || !MetricName().IsMatch(line[..nameEnd]))
        {
            throw new FormatException($"line {number}: no metric name: {line}");
        }

        var name = line[..nameEnd];
        var position = nameEnd;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (line[position] == '{')
        {
            position++;
            while (line[position] != '}')
            {
                var equals = line.IndexOf('=', position);
                var labelName = equals > position ? line[position..equals] : "";
                if (!LabelName().IsMatch(labelName) || equals + 1 >= line.Length || line[equals + 1] != '"')
                {
                    throw new FormatException($"line {number}: bad label at {position}: {line}");
                }

                position = equals + 2;
                var value = new StringBuilder();
                while (line[position] != '"')
                {
                    if (line[position] == '\\')
                    {
                        position++;
                        value.Append(line[position] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"line {number}: bad escape: {line}"),
                        });
                    }
                    else
                    {
                        value.Append(line[position]);
                    }

                    position++;
                }

                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw new FormatException($"line {number}: label {labelName} repeated: {line}");
                }

                position++;
                if (line[position] == ',')
                {
                    position++;
                }
                else if (line[position] != '}')
                {
                    throw new FormatException($"line {number}: expected ',' or '}}': {line}");
                }
            }

            position++;
        }

        var rest = line[position..].Split(' ', StringSplitOptions.None);
        if (rest.Length is not (2 or 3) || rest[0].Length != 0)
        {
            throw new FormatException($"line {number}: expected ' value [timestamp]': {line}");
        }

        return new PrometheusSample(name, labels, ParseValue(rest[1], number));
    }

    private static double ParseValue(string text, int number) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new FormatException($"line {number}: bad value '{text}'"),
    };

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();
}
