using System.Buffers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace Wharf.Cli.Consume;

/// <summary>
/// How <c>wharf consume</c> prints a record: <c>json</c> (one compact object per line, NDJSON) or a template of
/// kcat/rpk-style tokens: <c>%t</c> topic, <c>%p</c> partition, <c>%o</c> offset, <c>%k</c> key, <c>%v</c> value,
/// <c>%h</c> headers (<c>k=v</c> joined by commas), <c>%T</c> timestamp (ms since the Unix epoch), <c>%%</c> a
/// percent sign; escapes <c>\n</c>, <c>\t</c>, <c>\r</c>, <c>\\</c>. Nothing is added: a template prints a line
/// break only where it says <c>\n</c>. Keys, values and headers are printed as UTF-8 text; a null key or value prints
/// as nothing (as <c>null</c> in JSON). Thread-safety: immutable.
/// </summary>
internal sealed class RecordFormat
{
    public const string Default = @"%v\n";
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly List<Func<ConsumeResult<byte[]?, byte[]?>, string>>? _parts;

    private RecordFormat(List<Func<ConsumeResult<byte[]?, byte[]?>, string>>? parts) => _parts = parts;

    /// <summary>Parses <c>json</c> or a template; false with a one-line reason for an unknown token or escape.</summary>
    public static bool TryParse(string text, out RecordFormat? format, out string? error)
    {
        format = null;
        error = null;
        if (text == "json")
        {
            format = new RecordFormat(null);
            return true;
        }

        var parts = new List<Func<ConsumeResult<byte[]?, byte[]?>, string>>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is not ('%' or '\\'))
            {
                literal.Append(c);
                continue;
            }

            if (i + 1 == text.Length)
            {
                error = $"--format ends with a lone '{c}'";
                return false;
            }

            var next = text[++i];
            Func<ConsumeResult<byte[]?, byte[]?>, string>? token = (c, next) switch
            {
                ('%', 't') => r => r.Topic,
                ('%', 'p') => r => $"{r.Partition.Value}",
                ('%', 'o') => r => $"{r.Offset.Value}",
                ('%', 'k') => r => Text(r.Message.Key),
                ('%', 'v') => r => Text(r.Message.Value),
                ('%', 'h') => r => string.Join(',', (r.Message.Headers ?? []).Select(h => $"{h.Key}={Text(h.GetValueBytes())}")),
                ('%', 'T') => r => $"{r.Message.Timestamp.UnixTimestampMs}",
                _ => null,
            };
            if (token is null)
            {
                var escaped = (c, next) switch
                {
                    ('%', '%') => "%",
                    ('\\', 'n') => "\n",
                    ('\\', 't') => "\t",
                    ('\\', 'r') => "\r",
                    ('\\', '\\') => "\\",
                    _ => null,
                };
                if (escaped is null)
                {
                    error = $"--format has an unknown {(c == '%' ? "token" : "escape")} '{c}{next}' (tokens: %t %p %o %k %v %h %T %%; escapes: \\n \\t \\r \\\\; or json)";
                    return false;
                }

                literal.Append(escaped);
                continue;
            }

            AddLiteral(parts, literal);
            parts.Add(token);
        }

        AddLiteral(parts, literal);
        format = new RecordFormat(parts);
        return true;
    }

    public void Write(TextWriter writer, ConsumeResult<byte[]?, byte[]?> record)
    {
        if (_parts is null)
        {
            writer.Write(Json(record));
            writer.Write('\n');
            return;
        }

        foreach (var part in _parts)
        {
            writer.Write(part(record));
        }
    }

    /// <summary>One NDJSON line's object: topic, partition, offset, timestamp (ms), key, value, headers [{key, value}].</summary>
    private static string Json(ConsumeResult<byte[]?, byte[]?> record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("topic", record.Topic);
            json.WriteNumber("partition", record.Partition.Value);
            json.WriteNumber("offset", record.Offset.Value);
            json.WriteNumber("timestamp", record.Message.Timestamp.UnixTimestampMs);
            WriteText(json, "key", record.Message.Key);
            WriteText(json, "value", record.Message.Value);
            json.WriteStartArray("headers");
            foreach (var header in record.Message.Headers ?? [])
            {
                json.WriteStartObject();
                json.WriteString("key", header.Key);
                WriteText(json, "value", header.GetValueBytes());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteText(Utf8JsonWriter json, string name, byte[]? bytes)
    {
        if (bytes is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, Encoding.UTF8.GetString(bytes));
        }
    }

    private static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);

    private static void AddLiteral(List<Func<ConsumeResult<byte[]?, byte[]?>, string>> parts, StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            var text = literal.ToString();
            parts.Add(_ => text);
            literal.Clear();
        }
    }
}
