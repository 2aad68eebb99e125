using System.Text;
using Confluent.Kafka;

namespace Wharf.Cli.Produce;

/// <summary>
/// Turns input lines into records: one record per line (the line break is not part of it), the key before the first
/// occurrence of the key delimiter when one is given (a line without it is a value with a null key), and the same
/// headers on every record. Keys and values are the line's UTF-8 bytes. Thread-safety: immutable.
/// </summary>
internal sealed class RecordInput(string? keyDelimiter, IReadOnlyList<(string Key, byte[] Value)> headers)
{
    /// <summary>Parses repeated <c>-H key=value</c> flags; a key may repeat (Kafka headers are a list).</summary>
    /// <exception cref="CliException">a header has no <c>=</c> or an empty key.</exception>
    public static List<(string Key, byte[] Value)> ParseHeaders(IEnumerable<string> values)
    {
        var parsed = new List<(string, byte[])>();
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--header expects key=value, got '{value}'");
            }

            parsed.Add((value[..equals], Encoding.UTF8.GetBytes(value[(equals + 1)..])));
        }

        return parsed;
    }

    public Message<byte[]?, byte[]> ToMessage(string line)
    {
        string? key = null;
        var value = line;
        if (keyDelimiter is { Length: > 0 })
        {
            var at = line.IndexOf(keyDelimiter, StringComparison.Ordinal);
            if (at >= 0)
            {
                key = line[..at];
                value = line[(at + keyDelimiter.Length)..];
            }
        }

        var message = new Message<byte[]?, byte[]>
        {
            Key = key is null ? null : Encoding.UTF8.GetBytes(key),
            Value = Encoding.UTF8.GetBytes(value),
        };
        if (headers.Count > 0)
        {
            message.Headers = [];
            foreach (var (headerKey, headerValue) in headers)
            {
                message.Headers.Add(headerKey, headerValue);
            }
        }

        return message;
    }
}
