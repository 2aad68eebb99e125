using System.Buffers;
using System.Text;

namespace Wharf.Protocol.Codec;

/// <summary>Encoded sizes of protocol primitives; mirrors <see cref="KafkaWriter"/> exactly.</summary>
public static class KafkaSizes
{
    public static int UnsignedVarint(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;

    public static int UnsignedVarlong(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public static int Varint(int value) => UnsignedVarint((uint)((value << 1) ^ (value >> 31)));

    public static int Varlong(long value) => UnsignedVarlong((ulong)((value << 1) ^ (value >> 63)));

    public static int String(string? value, bool compact)
    {
        if (value is null)
        {
            return compact ? 1 : 2;
        }

        var size = Encoding.UTF8.GetByteCount(value);
        return (compact ? UnsignedVarint((uint)size + 1) : 2) + size;
    }

    public static int Bytes(byte[]? value, bool compact) => Length(value?.Length ?? -1, compact) + (value?.Length ?? 0);

    public static int Records(ReadOnlySequence<byte>? value, bool compact)
    {
        var size = value is { } records ? checked((int)records.Length) : -1;
        return Length(size, compact) + Math.Max(size, 0);
    }

    public static int ArrayLength(int count, bool compact) => Length(count, compact);

    public static int UnknownTaggedFields(List<RawTaggedField>? fields)
    {
        var size = 0;
        if (fields is not null)
        {
            foreach (var field in fields)
            {
                size += UnsignedVarint((uint)field.Tag) + UnsignedVarint((uint)field.Data.Length) + field.Data.Length;
            }
        }

        return size;
    }

    private static int Length(int length, bool compact) => compact ? UnsignedVarint((uint)(length + 1)) : 4;
}
