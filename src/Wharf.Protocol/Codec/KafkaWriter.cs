using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Wharf.Protocol.Codec;

/// <summary>
/// Writes Kafka protocol primitives into an <see cref="IBufferWriter{T}"/>. It asks the output for a span,
/// fills it, and commits it when a larger span is needed or on <see cref="Flush"/>, which the caller must
/// call once at the end. Records are copied from their source straight into the output (one copy, no
/// intermediate buffer), or, when the output is an <see cref="IGatheringBufferWriter"/> and they are large, not
/// copied at all. Thread-safety: one writer per thread.
/// </summary>
public ref struct KafkaWriter
{
    private const int MinimumSpan = 256;

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _buffered;
    private long _committed;

    public KafkaWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _span = default;
        _buffered = 0;
        _committed = 0;
    }

    /// <summary>Bytes written so far, committed or not.</summary>
    public readonly long BytesWritten => _committed + _buffered;

    /// <summary>Commits what is buffered to the output.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
            _committed += _buffered;
            _buffered = 0;
        }

        _span = default;
    }

    public void WriteInt8(sbyte value) => Reserve(1)[0] = (byte)value;

    public void WriteBool(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Reserve(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    public void WriteFloat64(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteUuid(Guid value) => value.TryWriteBytes(Reserve(16), bigEndian: true, out _);

    public void WriteUnsignedVarint(uint value) => WriteUnsignedVarlong(value);

    public void WriteUnsignedVarlong(ulong value)
    {
        var span = EnsureSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _buffered += i;
    }

    public void WriteVarint(int value) => WriteUnsignedVarint((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarlong(long value) => WriteUnsignedVarlong((ulong)((value << 1) ^ (value >> 63)));

    public void WriteString(string? value, bool compact, bool nullable, string field)
    {
        if (value is null)
        {
            WriteNullLength(compact, nullable, field, isInt16: true);
            return;
        }

        var size = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteUnsignedVarint((uint)size + 1);
        }
        else
        {
            if (size > short.MaxValue)
            {
                throw new ProtocolEncodeException($"Field {field}: a string of {size} bytes does not fit a classic int16 length.");
            }

            WriteInt16((short)size);
        }

        Encoding.UTF8.GetBytes(value, Reserve(size));
    }

    public void WriteBytes(byte[]? value, bool compact, bool nullable, string field)
    {
        if (value is null)
        {
            WriteNullLength(compact, nullable, field, isInt16: false);
            return;
        }

        WriteLength(value.Length, compact);
        WriteRaw(value);
    }

    public void WriteRecords(ReadOnlySequence<byte>? value, bool compact, bool nullable, string field)
    {
        if (value is not { } records)
        {
            WriteNullLength(compact, nullable, field, isInt16: false);
            return;
        }

        WriteLength(checked((int)records.Length), compact);
        if (records.Length >= MinimumReferencedRecords && _output is IGatheringBufferWriter gathering)
        {
            Flush();
            foreach (var segment in records)
            {
                gathering.WriteReference(segment);
            }

            _committed += records.Length;
            return;
        }

        foreach (var segment in records)
        {
            WriteRaw(segment.Span);
        }
    }

    /// <summary>Records at least this long go to an <see cref="IGatheringBufferWriter"/> by reference.</summary>
    public const int MinimumReferencedRecords = 16 * 1024;

    /// <summary>An array's element count; <paramref name="count"/> -1 writes null.</summary>
    public void WriteArrayLength(int count, bool compact, bool nullable, string field)
    {
        if (count < 0)
        {
            WriteNullLength(compact, nullable, field, isInt16: false);
            return;
        }

        WriteLength(count, compact);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= MinimumSpan * 4)
        {
            bytes.CopyTo(Reserve(bytes.Length));
            return;
        }

        // Large payloads go straight to the output in its own chunk sizes.
        Flush();
        _output.Write(bytes);
        _committed += bytes.Length;
    }

    /// <summary>Writes the unknown tagged fields whose tag is below <paramref name="tagLimit"/>, from <paramref name="next"/> on.</summary>
    public void WriteUnknownTaggedFields(List<RawTaggedField>? fields, ref int next, int tagLimit)
    {
        if (fields is null)
        {
            return;
        }

        while (next < fields.Count && fields[next].Tag < tagLimit)
        {
            var field = fields[next++];
            WriteUnsignedVarint((uint)field.Tag);
            WriteUnsignedVarint((uint)field.Data.Length);
            WriteRaw(field.Data);
        }
    }

    private void WriteLength(int length, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)length + 1);
        }
        else
        {
            WriteInt32(length);
        }
    }

    private void WriteNullLength(bool compact, bool nullable, string field, bool isInt16)
    {
        if (!nullable)
        {
            throw new ProtocolEncodeException($"Field {field} is null but is not nullable in this version.");
        }

        if (compact)
        {
            WriteUnsignedVarint(0);
        }
        else if (isInt16)
        {
            WriteInt16(-1);
        }
        else
        {
            WriteInt32(-1);
        }
    }

    /// <summary>Returns exactly <paramref name="size"/> bytes of the output and counts them as written.</summary>
    private Span<byte> Reserve(int size)
    {
        var span = EnsureSpan(size)[..size];
        _buffered += size;
        return span;
    }

    /// <summary>Returns at least <paramref name="size"/> free bytes without counting them as written.</summary>
    private Span<byte> EnsureSpan(int size)
    {
        if (_span.Length - _buffered < size)
        {
            Flush();
            _span = _output.GetSpan(Math.Max(size, MinimumSpan));
        }

        return _span[_buffered..];
    }
}
