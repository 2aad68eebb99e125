using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Wharf.Testing.Faults;

/// <summary>
/// The fields of a Kafka request header a fault proxy needs, read from a whole request frame (4-byte size first):
/// api key, api version, correlation id and client id. Every header version (0–2) starts with these, and the client id
/// is a classic nullable string (int16 length) even in flexible versions. Immutable.
/// </summary>
public readonly record struct KafkaRequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId)
{
    /// <summary>Reads the header of <paramref name="frame"/> (size prefix included); false when it is too short or malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out KafkaRequestHeader header)
    {
        header = default;
        if (frame.Length < 4 + 10)
        {
            return false;
        }

        var body = frame[4..];
        var apiKey = BinaryPrimitives.ReadInt16BigEndian(body);
        var version = BinaryPrimitives.ReadInt16BigEndian(body[2..]);
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
        var length = BinaryPrimitives.ReadInt16BigEndian(body[8..]);
        if (length < -1 || 10 + Math.Max((int)length, 0) > body.Length)
        {
            return false;
        }

        header = new KafkaRequestHeader(apiKey, version, correlationId, length < 0 ? null : Encoding.UTF8.GetString(body.Slice(10, length)));
        return true;
    }
}

/// <summary>
/// Who opened a Kafka connection, from the client id of its first request: brokers call each other as
/// <c>wharf-broker-{nodeId}</c>, with a suffix for a dedicated pool (<c>-markers</c>, <c>-verification</c>, the replica
/// fetchers' <c>-replica</c>); see <c>Wharf.Server.Forwarding</c> and <c>Wharf.Server.Replication</c>. Every other client
/// id is a client. Thread-safety: stateless.
/// </summary>
public static partial class KafkaClientIds
{
    /// <summary>The link source of a connection whose first request carried <paramref name="clientId"/>.</summary>
    public static FaultEndpoint SourceOf(string? clientId) =>
        clientId is not null && BrokerClientId().Match(clientId) is { Success: true } match && int.TryParse(match.Groups[1].ValueSpan, out var nodeId)
            ? FaultEndpoint.Broker(nodeId)
            : FaultEndpoint.Clients;

    [GeneratedRegex(@"^wharf-broker-(\d+)(?:-.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex BrokerClientId();
}
