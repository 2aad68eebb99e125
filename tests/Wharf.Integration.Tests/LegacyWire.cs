using System.Buffers.Binary;
using System.Text;

namespace Wharf.Integration.Tests;

/// <summary>
/// A request written field by field in the classic (non-flexible) encoding, independent of the generated codec:
/// tests of old versions build the bytes an old client sends from the protocol spec, so a codec that agreed with
/// itself but not with the spec would fail them. <see cref="Frame"/> adds the size and a v1 request header.
/// Not thread-safe.
/// </summary>
internal sealed class LegacyRequest
{
    private readonly List<byte> _body = [];

    public LegacyRequest Int8(sbyte value)
    {
        _body.Add((byte)value);
        return this;
    }

    public LegacyRequest Bool(bool value) => Int8(value ? (sbyte)1 : (sbyte)0);

    public LegacyRequest Int16(short value) => Put(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(value)));

    public LegacyRequest Int32(int value) => Put(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(value)));

    public LegacyRequest Int64(long value) => Put(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(value)));

    /// <summary>int16 length + UTF-8, or -1 for null.</summary>
    public LegacyRequest String(string? value)
    {
        if (value is null)
        {
            return Int16(-1);
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        return Int16((short)bytes.Length).Put(bytes);
    }

    /// <summary>int32 length + bytes.</summary>
    public LegacyRequest Bytes(byte[] value) => Int32(value.Length).Put(value);

    /// <summary>int32 count, then each element written by <paramref name="write"/>; null writes -1.</summary>
    public LegacyRequest Array<T>(IReadOnlyList<T>? items, Action<LegacyRequest, T> write)
    {
        if (items is null)
        {
            return Int32(-1);
        }

        Int32(items.Count);
        foreach (var item in items)
        {
            write(this, item);
        }

        return this;
    }

    /// <summary>The bytes written so far (for nested structures such as a message set).</summary>
    public byte[] ToArray() => [.. _body];

    /// <summary>The whole frame: int32 size, request header v1 (key, version, correlation id, client id), body.</summary>
    public byte[] Frame(short apiKey, short version, int correlationId, string clientId = "legacy-test")
    {
        var header = new LegacyRequest().Int16(apiKey).Int16(version).Int32(correlationId).String(clientId);
        var size = header._body.Count + _body.Count;
        return [.. new LegacyRequest().Int32(size)._body, .. header._body, .. _body];
    }

    private LegacyRequest Put(byte[] bytes)
    {
        _body.AddRange(bytes);
        return this;
    }
}

/// <summary>
/// Reads a classic (non-flexible) response by hand, field by field, independent of the generated codec. The
/// constructor consumes the v0 response header (correlation id). Not thread-safe.
/// </summary>
internal sealed class LegacyResponse(byte[] frame)
{
    private int _position = 4;

    public int CorrelationId { get; } = BinaryPrimitives.ReadInt32BigEndian(frame);

    public bool AtEnd => _position == frame.Length;

    public bool Bool() => frame[_position++] != 0;

    public sbyte Int8() => (sbyte)frame[_position++];

    public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public string? String()
    {
        var length = Int16();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>int32 count, then that many elements read by <paramref name="read"/>; null (-1) reads as null.</summary>
    public List<T>? Array<T>(Func<LegacyResponse, T> read)
    {
        var count = Int32();
        if (count < 0)
        {
            return null;
        }

        var items = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(read(this));
        }

        return items;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_position + count > frame.Length)
        {
            throw new InvalidDataException($"the response ends at byte {frame.Length}; reading {count} more at {_position}");
        }

        var span = frame.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
