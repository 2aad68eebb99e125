using Wharf.Protocol.Codec;

namespace Wharf.Protocol;

/// <summary>The response header. v0: correlation id; v1 adds a tagged-field block.</summary>
public sealed class ResponseHeader
{
    public int CorrelationId { get; set; }

    public List<RawTaggedField>? UnknownTaggedFields { get; set; }

    public static ResponseHeader Read(ref KafkaReader reader, short headerVersion)
    {
        var header = new ResponseHeader { CorrelationId = reader.ReadInt32() };
        if (headerVersion >= 1)
        {
            header.UnknownTaggedFields = reader.ReadUnknownTaggedFields();
        }

        return header;
    }

    public int ComputeSize(short headerVersion) =>
        4 + (headerVersion >= 1 ? KafkaSizes.UnsignedVarint((uint)(UnknownTaggedFields?.Count ?? 0)) + KafkaSizes.UnknownTaggedFields(UnknownTaggedFields) : 0);

    public void Write(ref KafkaWriter writer, short headerVersion)
    {
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteUnsignedVarint((uint)(UnknownTaggedFields?.Count ?? 0));
            var next = 0;
            writer.WriteUnknownTaggedFields(UnknownTaggedFields, ref next, int.MaxValue);
        }
    }
}
