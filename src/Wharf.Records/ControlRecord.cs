using System.Buffers.Binary;

namespace Wharf.Records;

/// <summary>
/// The key of a control record (the one record of a control batch):
/// <code>
/// version int16  0
/// type    int16  <see cref="ControlRecordType"/>
/// </code>
/// As in Kafka, a key with a newer version is read as version 0 (later versions only append fields).
/// Thread-safety: stateless.
/// </summary>
public static class ControlRecord
{
    public const short CurrentKeyVersion = 0;

    /// <summary>Bytes of a version-0 key.</summary>
    public const int KeySize = 4;

    /// <summary>Reads a control record key; false when it is shorter than 4 bytes or its version is negative.</summary>
    public static bool TryReadKey(ReadOnlySpan<byte> key, out short version, out ControlRecordType type)
    {
        version = 0;
        type = default;
        if (key.Length < KeySize)
        {
            return false;
        }

        version = BinaryPrimitives.ReadInt16BigEndian(key);
        type = (ControlRecordType)BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        return version >= 0;
    }

    /// <summary>Writes a version-0 key of <paramref name="type"/>; returns <see cref="KeySize"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="KeySize"/>.</exception>
    public static int WriteKey(Span<byte> destination, ControlRecordType type)
    {
        if (destination.Length < KeySize)
        {
            throw new ArgumentException($"A control record key needs {KeySize} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteInt16BigEndian(destination, CurrentKeyVersion);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], (short)type);
        return KeySize;
    }
}
