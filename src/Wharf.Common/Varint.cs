using System.Buffers;
using System.Runtime.CompilerServices;

namespace Wharf.Common;

/// <summary>
/// Variable-length integers: the zig-zag signed varint/varlong of Kafka's record format
/// (<c>DefaultRecord</c>, <c>ByteUtils.readVarint</c>) and the unsigned LEB128 varint of the flexible protocol
/// versions. Seven bits per byte, least significant group first, high bit set on every byte but the last.
/// </summary>
/// <remarks>
/// Decoding is strict: an int32 takes at most 5 bytes and its fifth byte may carry only the top 4 bits; an
/// int64 takes at most 10 bytes and its tenth byte only the top bit. Longer or out-of-range encodings are
/// <see cref="OperationStatus.InvalidData"/>, input that ends inside a varint is
/// <see cref="OperationStatus.NeedMoreData"/>; decoding never throws. Thread-safety: stateless.
/// </remarks>
public static class Varint
{
    /// <summary>Most bytes a 32-bit varint can take.</summary>
    public const int MaxVarintLength = 5;

    /// <summary>Most bytes a 64-bit varlong can take.</summary>
    public const int MaxVarlongLength = 10;

    /// <summary>Encodes a signed value the zig-zag way: 0, -1, 1, -2 ... become 0, 1, 2, 3 ...</summary>
    public static uint ZigZagEncode(int value) => (uint)((value << 1) ^ (value >> 31));

    /// <inheritdoc cref="ZigZagEncode(int)"/>
    public static ulong ZigZagEncode(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static int ZigZagDecode(uint value) => (int)(value >> 1) ^ -(int)(value & 1);

    public static long ZigZagDecode(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>Bytes the zig-zag varint of <paramref name="value"/> takes.</summary>
    public static int SizeOfVarint(int value) => SizeOfUnsignedVarint(ZigZagEncode(value));

    /// <summary>Bytes the zig-zag varlong of <paramref name="value"/> takes.</summary>
    public static int SizeOfVarlong(long value) => SizeOfUnsignedVarlong(ZigZagEncode(value));

    /// <summary>Bytes the unsigned varint of <paramref name="value"/> takes.</summary>
    public static int SizeOfUnsignedVarint(uint value) => ((31 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7) + 1;

    /// <summary>Bytes the unsigned varlong of <paramref name="value"/> takes.</summary>
    public static int SizeOfUnsignedVarlong(ulong value) => ((63 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7) + 1;

    /// <summary>Decodes a zig-zag varint (Kafka <c>readVarint</c>) from the start of <paramref name="source"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OperationStatus DecodeVarint(ReadOnlySpan<byte> source, out int value, out int bytesConsumed)
    {
        var status = DecodeUnsignedVarint(source, out var raw, out bytesConsumed);
        value = ZigZagDecode(raw);
        return status;
    }

    /// <summary>Decodes a zig-zag varlong (Kafka <c>readVarlong</c>) from the start of <paramref name="source"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OperationStatus DecodeVarlong(ReadOnlySpan<byte> source, out long value, out int bytesConsumed)
    {
        var status = DecodeUnsignedVarlong(source, out var raw, out bytesConsumed);
        value = ZigZagDecode(raw);
        return status;
    }

    /// <summary>Decodes an unsigned LEB128 varint of at most 32 bits from the start of <paramref name="source"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OperationStatus DecodeUnsignedVarint(ReadOnlySpan<byte> source, out uint value, out int bytesConsumed)
    {
        // Fast path: one byte, the common case for lengths and deltas of small records.
        if (source.Length > 0 && source[0] < 0x80)
        {
            value = source[0];
            bytesConsumed = 1;
            return OperationStatus.Done;
        }

        return DecodeUnsignedVarintSlow(source, out value, out bytesConsumed);
    }

    private static OperationStatus DecodeUnsignedVarintSlow(ReadOnlySpan<byte> source, out uint value, out int bytesConsumed)
    {
        // A fifth byte above 0x0F has the continuation bit or bits beyond 32: overlong or out of range.
        var status = DecodeLeb128(source, MaxVarintLength, lastByteMax: 0x0F, out var wide, out bytesConsumed);
        value = (uint)wide;
        return status;
    }

    /// <summary>Decodes an unsigned LEB128 varlong of at most 64 bits from the start of <paramref name="source"/>.</summary>
    public static OperationStatus DecodeUnsignedVarlong(ReadOnlySpan<byte> source, out ulong value, out int bytesConsumed) =>
        DecodeLeb128(source, MaxVarlongLength, lastByteMax: 0x01, out value, out bytesConsumed);

    /// <summary>
    /// Unsigned LEB128 of at most <paramref name="maxLength"/> bytes, whose last possible byte may be at most
    /// <paramref name="lastByteMax"/> (no continuation, no bits beyond the type).
    /// </summary>
    private static OperationStatus DecodeLeb128(ReadOnlySpan<byte> source, int maxLength, uint lastByteMax, out ulong value, out int bytesConsumed)
    {
        ulong result = 0;
        for (var i = 0; i < maxLength; i++)
        {
            if (i >= source.Length)
            {
                value = 0;
                bytesConsumed = 0;
                return OperationStatus.NeedMoreData;
            }

            uint b = source[i];
            if (i == maxLength - 1 && b > lastByteMax)
            {
                break;
            }

            result |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                value = result;
                bytesConsumed = i + 1;
                return OperationStatus.Done;
            }
        }

        value = 0;
        bytesConsumed = 0;
        return OperationStatus.InvalidData;
    }

    /// <summary>Reads a zig-zag varint; false (and nothing consumed) when truncated or invalid.</summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> source, out int value, out int bytesConsumed) =>
        DecodeVarint(source, out value, out bytesConsumed) == OperationStatus.Done;

    /// <summary>Reads a zig-zag varlong; false (and nothing consumed) when truncated or invalid.</summary>
    public static bool TryReadVarlong(ReadOnlySpan<byte> source, out long value, out int bytesConsumed) =>
        DecodeVarlong(source, out value, out bytesConsumed) == OperationStatus.Done;

    /// <summary>Reads an unsigned varint; false (and nothing consumed) when truncated or invalid.</summary>
    public static bool TryReadUnsignedVarint(ReadOnlySpan<byte> source, out uint value, out int bytesConsumed) =>
        DecodeUnsignedVarint(source, out value, out bytesConsumed) == OperationStatus.Done;

    /// <summary>Writes the zig-zag varint of <paramref name="value"/>; false when it does not fit.</summary>
    public static bool TryWriteVarint(Span<byte> destination, int value, out int bytesWritten) =>
        TryWriteUnsignedVarlong(destination, ZigZagEncode(value), out bytesWritten);

    /// <summary>Writes the zig-zag varlong of <paramref name="value"/>; false when it does not fit.</summary>
    public static bool TryWriteVarlong(Span<byte> destination, long value, out int bytesWritten) =>
        TryWriteUnsignedVarlong(destination, ZigZagEncode(value), out bytesWritten);

    /// <summary>Writes the unsigned varint of <paramref name="value"/>; false when it does not fit.</summary>
    public static bool TryWriteUnsignedVarint(Span<byte> destination, uint value, out int bytesWritten) =>
        TryWriteUnsignedVarlong(destination, value, out bytesWritten);

    /// <summary>Writes the unsigned varlong of <paramref name="value"/>; false when it does not fit.</summary>
    public static bool TryWriteUnsignedVarlong(Span<byte> destination, ulong value, out int bytesWritten)
    {
        var size = SizeOfUnsignedVarlong(value);
        if (destination.Length < size)
        {
            bytesWritten = 0;
            return false;
        }

        for (var i = 0; i < size - 1; i++)
        {
            destination[i] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[size - 1] = (byte)value;
        bytesWritten = size;
        return true;
    }

    /// <summary>Writes the zig-zag varint of <paramref name="value"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteVarint(Span<byte> destination, int value) =>
        TryWriteVarint(destination, value, out var written) ? written : throw TooShort(nameof(destination));

    /// <summary>Writes the zig-zag varlong of <paramref name="value"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteVarlong(Span<byte> destination, long value) =>
        TryWriteVarlong(destination, value, out var written) ? written : throw TooShort(nameof(destination));

    /// <summary>Writes the unsigned varint of <paramref name="value"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteUnsignedVarint(Span<byte> destination, uint value) =>
        TryWriteUnsignedVarint(destination, value, out var written) ? written : throw TooShort(nameof(destination));

    private static ArgumentException TooShort(string name) => new("The destination is too short for the varint.", name);
}
