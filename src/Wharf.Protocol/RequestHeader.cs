using Wharf.Protocol.Codec;

namespace Wharf.Protocol;

/// <summary>
/// The request header. v1: api key, api version, correlation id, client id (classic nullable string);
/// v2 adds a tagged-field block. The client id stays a classic string even in v2.
/// </summary>
public sealed class RequestHeader
{
    public ApiKey ApiKey { get; set; }

    public short ApiVersion { get; set; }

    public int CorrelationId { get; set; }

    public string? ClientId { get; set; }

    public List<RawTaggedField>? UnknownTaggedFields { get; set; }

    /// <summary>Reads the key, version and correlation id: enough to answer even when the rest is unreadable.</summary>
    public static (ApiKey Key, short Version, int CorrelationId) ReadPrefix(ref KafkaReader reader) =>
        ((ApiKey)reader.ReadInt16(), reader.ReadInt16(), reader.ReadInt32());

    public static RequestHeader Read(ref KafkaReader reader, short headerVersion)
    {
        var (key, version, correlationId) = ReadPrefix(ref reader);
        var header = new RequestHeader { ApiKey = key, ApiVersion = version, CorrelationId = correlationId };
        if (headerVersion >= 1)
        {
            header.ClientId = reader.ReadString(compact: false, nullable: true);
        }

        if (headerVersion >= 2)
        {
            header.UnknownTaggedFields = reader.ReadUnknownTaggedFields();
        }

        return header;
    }

    public int ComputeSize(short headerVersion) =>
        8 + (headerVersion >= 1 ? KafkaSizes.String(ClientId, compact: false) : 0)
        + (headerVersion >= 2 ? KafkaSizes.UnsignedVarint((uint)(UnknownTaggedFields?.Count ?? 0)) + KafkaSizes.UnknownTaggedFields(UnknownTaggedFields) : 0);

    public void Write(ref KafkaWriter writer, short headerVersion)
    {
        writer.WriteInt16((short)ApiKey);
        writer.WriteInt16(ApiVersion);
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteString(ClientId, compact: false, nullable: true, nameof(ClientId));
        }

        if (headerVersion >= 2)
        {
            writer.WriteUnsignedVarint((uint)(UnknownTaggedFields?.Count ?? 0));
            var next = 0;
            writer.WriteUnknownTaggedFields(UnknownTaggedFields, ref next, int.MaxValue);
        }
    }
}
