using System.Buffers;
using System.Text;

namespace Wharf.Protocol.Codec;

/// <summary>
/// Reads Kafka protocol primitives, classic and flexible ("compact"), from a <see cref="ReadOnlySequence{T}"/>.
/// Every length is checked against the bytes that remain <b>before</b> anything is allocated, so a short frame
/// that claims a huge string or array costs nothing. Malformed input raises <see cref="ProtocolDecodeException"/>
/// and nothing else. Records stay slices of the input (no copy).
/// Thread-safety: a mutable cursor; one reader per thread.
/// </summary>
public ref struct KafkaReader
{
    private SequenceReader<byte> _reader;

    public KafkaReader(ReadOnlySequence<byte> input) => _reader = new SequenceReader<byte>(input);

    public KafkaReader(ReadOnlyMemory<byte> input) : this(new ReadOnlySequence<byte>(input))
    {
    }

    /// <summary>Bytes not yet read.</summary>
    public readonly long Remaining => _reader.Remaining;

    /// <summary>Bytes read so far.</summary>
    public readonly long Consumed => _reader.Consumed;

    /// <summary>The bytes not yet read, as a slice of the input.</summary>
    public readonly ReadOnlySequence<byte> UnreadSequence => _reader.UnreadSequence;

    public sbyte ReadInt8()
    {
        if (!_reader.TryRead(out var value))
        {
            throw Truncated("int8");
        }

        return (sbyte)value;
    }

    public bool ReadBool() => ReadInt8() != 0;

    public short ReadInt16() => _reader.TryReadBigEndian(out short value) ? value : throw Truncated("int16");

    public ushort ReadUInt16() => (ushort)ReadInt16();

    public int ReadInt32() => _reader.TryReadBigEndian(out int value) ? value : throw Truncated("int32");

    public uint ReadUInt32() => (uint)ReadInt32();

    public long ReadInt64() => _reader.TryReadBigEndian(out long value) ? value : throw Truncated("int64");

    public double ReadFloat64() => BitConverter.Int64BitsToDouble(ReadInt64());

    /// <summary>A UUID: 16 bytes, most significant first (Kafka's <c>Uuid</c>).</summary>
    public Guid ReadUuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!_reader.TryCopyTo(bytes))
        {
            throw Truncated("uuid");
        }

        _reader.Advance(16);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>An unsigned LEB128 varint of at most 5 bytes (the protocol's lengths, counts and tags).</summary>
    public uint ReadUnsignedVarint()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (!_reader.TryRead(out var b))
            {
                throw Truncated("varint");
            }

            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new ProtocolDecodeException(DecodeError.VarintTooLong, "An unsigned varint is longer than 5 bytes.");
    }

    /// <summary>An unsigned LEB128 varint of at most 10 bytes.</summary>
    public ulong ReadUnsignedVarlong()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!_reader.TryRead(out var b))
            {
                throw Truncated("varlong");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new ProtocolDecodeException(DecodeError.VarintTooLong, "An unsigned varlong is longer than 10 bytes.");
    }

    /// <summary>A zig-zag signed varint.</summary>
    public int ReadVarint()
    {
        var raw = ReadUnsignedVarint();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>A zig-zag signed varlong.</summary>
    public long ReadVarlong()
    {
        var raw = ReadUnsignedVarlong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public string? ReadString(bool compact, bool nullable)
    {
        var length = compact ? ReadCompactLength("string") : ReadInt16();
        var size = CheckLength(length, nullable, "string");
        if (size < 0)
        {
            return null;
        }

        var slice = _reader.UnreadSequence.Slice(0, size);
        _reader.Advance(size);
        return slice.IsSingleSegment ? Encoding.UTF8.GetString(slice.FirstSpan) : Encoding.UTF8.GetString(slice);
    }

    public byte[]? ReadBytes(bool compact, bool nullable)
    {
        var length = compact ? ReadCompactLength("bytes") : ReadInt32();
        var size = CheckLength(length, nullable, "bytes");
        if (size < 0)
        {
            return null;
        }

        var bytes = new byte[size];
        _reader.TryCopyTo(bytes);
        _reader.Advance(size);
        return bytes;
    }

    /// <summary>A records field: the bytes stay a slice of the input sequence; nothing is copied.</summary>
    public ReadOnlySequence<byte>? ReadRecords(bool compact, bool nullable)
    {
        var length = compact ? ReadCompactLength("records") : ReadInt32();
        var size = CheckLength(length, nullable, "records");
        if (size < 0)
        {
            return null;
        }

        var slice = _reader.UnreadSequence.Slice(0, size);
        _reader.Advance(size);
        return slice;
    }

    /// <summary>
    /// An array's element count (-1 for null). The count times <paramref name="minElementSize"/> must fit in
    /// the remaining bytes, so a lying count allocates nothing.
    /// </summary>
    public int ReadArrayLength(bool compact, bool nullable, int minElementSize)
    {
        var length = compact ? ReadCompactLength("array") : ReadInt32();
        if (length < -1)
        {
            throw new ProtocolDecodeException(DecodeError.NegativeLength, $"Array length {length} is negative.");
        }

        if (length == -1)
        {
            return nullable ? -1 : throw new ProtocolDecodeException(DecodeError.UnexpectedNull, "A non-nullable array is null.");
        }

        if ((long)length * Math.Max(1, minElementSize) > _reader.Remaining)
        {
            throw new ProtocolDecodeException(
                DecodeError.ArrayLengthExceedsRemaining,
                $"Array claims {length} elements of at least {minElementSize} bytes but only {_reader.Remaining} bytes remain.");
        }

        return length;
    }

    /// <summary>The number of tagged fields that follow; each needs at least two bytes.</summary>
    public int ReadTaggedFieldCount()
    {
        var count = ReadUnsignedVarint();
        if (count > _reader.Remaining / 2)
        {
            throw new ProtocolDecodeException(DecodeError.InvalidTaggedField, $"{count} tagged fields cannot fit in {_reader.Remaining} bytes.");
        }

        return (int)count;
    }

    /// <summary>A tagged field's tag and size; the size is checked against the remaining bytes.</summary>
    public (int Tag, int Size) ReadTaggedFieldHeader()
    {
        var tag = ReadUnsignedVarint();
        var size = ReadUnsignedVarint();
        if (tag > int.MaxValue || size > _reader.Remaining)
        {
            throw new ProtocolDecodeException(DecodeError.InvalidTaggedField, $"Tagged field {tag} claims {size} bytes but only {_reader.Remaining} remain.");
        }

        return ((int)tag, (int)size);
    }

    /// <summary>A tagged-field block none of whose tags this reader knows (e.g. the request header's), kept raw.</summary>
    public List<RawTaggedField>? ReadUnknownTaggedFields()
    {
        List<RawTaggedField>? fields = null;
        var count = ReadTaggedFieldCount();
        for (var i = 0; i < count; i++)
        {
            var (tag, size) = ReadTaggedFieldHeader();
            (fields ??= []).Add(new RawTaggedField(tag, ReadRawBytes(size)));
        }

        return fields;
    }

    /// <summary>A reader over the next <paramref name="size"/> bytes; this reader moves past them.</summary>
    public KafkaReader ReadSubReader(int size)
    {
        EnsureRemaining(size);
        var slice = _reader.UnreadSequence.Slice(0, size);
        _reader.Advance(size);
        return new KafkaReader(slice);
    }

    public byte[] ReadRawBytes(int size)
    {
        EnsureRemaining(size);
        var bytes = new byte[size];
        _reader.TryCopyTo(bytes);
        _reader.Advance(size);
        return bytes;
    }

    /// <summary>Throws unless a known tagged field consumed exactly its declared size.</summary>
    public readonly void EnsureFullyConsumed(int tag)
    {
        if (_reader.Remaining != 0)
        {
            throw new ProtocolDecodeException(DecodeError.TaggedFieldSizeMismatch, $"Tagged field {tag} left {_reader.Remaining} bytes unread.");
        }
    }

    private readonly void EnsureRemaining(long size)
    {
        if (size > _reader.Remaining)
        {
            throw new ProtocolDecodeException(DecodeError.LengthExceedsRemaining, $"{size} bytes claimed but only {_reader.Remaining} remain.");
        }
    }

    /// <summary>Compact lengths are stored as length + 1 (0 = null).</summary>
    private int ReadCompactLength(string kind)
    {
        var raw = ReadUnsignedVarint();
        if (raw > int.MaxValue)
        {
            throw new ProtocolDecodeException(DecodeError.LengthExceedsRemaining, $"Compact {kind} length {raw} is too large.");
        }

        return (int)raw - 1;
    }

    private readonly int CheckLength(int length, bool nullable, string kind)
    {
        if (length == -1)
        {
            return nullable ? -1 : throw new ProtocolDecodeException(DecodeError.UnexpectedNull, $"A non-nullable {kind} is null.");
        }

        if (length < 0)
        {
            throw new ProtocolDecodeException(DecodeError.NegativeLength, $"A {kind} length of {length} is negative.");
        }

        EnsureRemaining(length);
        return length;
    }

    private readonly ProtocolDecodeException Truncated(string what) =>
        new(DecodeError.Truncated, $"Input ended while reading {what} at byte {_reader.Consumed}.");
}
