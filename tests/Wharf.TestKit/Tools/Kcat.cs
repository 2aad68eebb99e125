using System.Text.Json;

namespace Wharf.TestKit.Tools;

/// <summary>One record as kcat printed it.</summary>
public sealed record KcatRecord(int Partition, long Offset, string Key, string Value, string Headers);

/// <summary>
/// Drives the kcat binary against one broker. Records are newline-delimited on stdin (key and value split by
/// <see cref="KeyDelimiter"/>), and printed back tab-separated by a <c>-f</c> format string, so keys and values
/// used in tests must contain neither tabs, newlines nor the key delimiter.
/// </summary>
public sealed class Kcat(string bootstrapServers)
{
    public const string KeyDelimiter = "|";

    private const string ConsumeFormat = "%p\t%o\t%k\t%s\t%h\n";

    public async Task<JsonElement> MetadataAsync(string? topic = null)
    {
        var arguments = new List<string> { "-L", "-J", "-b", bootstrapServers };
        if (topic is not null)
        {
            arguments.AddRange(["-t", topic]);
        }

        var result = (await RunAsync(arguments)).EnsureSuccess();
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }

    /// <summary>Produces keyed records (acks=all) and waits for every delivery report.</summary>
    public async Task ProduceAsync(
        string topic,
        IEnumerable<(string Key, string Value)> records,
        string codec = "none",
        int? partition = null,
        IEnumerable<(string Name, string Value)>? headers = null)
    {
        var arguments = new List<string>
        {
            "-P", "-b", bootstrapServers, "-t", topic, "-K", KeyDelimiter, "-z", codec,
            "-X", "acks=all", "-X", "linger.ms=5",
        };
        if (partition is { } p)
        {
            arguments.AddRange(["-p", p.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        foreach (var (name, value) in headers ?? [])
        {
            arguments.AddRange(["-H", $"{name}={value}"]);
        }

        var input = string.Concat(records.Select(r => r.Key + KeyDelimiter + r.Value + "\n"));
        var result = (await RunAsync(arguments, input)).EnsureSuccess();

        // kcat reports failed deliveries on stderr but may still exit 0.
        Assert.DoesNotContain("Delivery failed", result.StandardError, StringComparison.Ordinal);
    }

    /// <summary>
    /// Reads a topic (or one partition) from <paramref name="offset"/> (kcat's <c>-o</c>: beginning, a number, or
    /// -N for N before the end) to the current end, then exits.
    /// </summary>
    public async Task<IReadOnlyList<KcatRecord>> ConsumeAllAsync(string topic, int? partition = null, string offset = "beginning")
    {
        var arguments = new List<string> { "-C", "-b", bootstrapServers, "-t", topic, "-o", offset, "-e", "-f", ConsumeFormat };
        if (partition is { } p)
        {
            arguments.AddRange(["-p", p.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        var result = (await RunAsync(arguments)).EnsureSuccess();
        return result.Lines.Select(Parse).ToArray();

        static KcatRecord Parse(string line)
        {
            var fields = line.Split('\t');
            Assert.True(fields.Length == 5, $"unexpected kcat line: {line}");
            return new KcatRecord(int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), fields[2], fields[3], fields[4]);
        }
    }

    private static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, string? input = null)
    {
        ExternalTools.Require(ExternalTool.Kcat);

        // -q: no informational chatter on stderr; librdkafka errors still reach stderr.
        return ChildProcess.RunAsync(ExternalTools.Kcat, ["-q", .. arguments], input);
    }
}
