using System.Buffers.Binary;

namespace Wharf.Records;

/// <summary>
/// A transaction marker (Kafka <c>EndTransactionMarker</c>): the control record a transaction coordinator
/// writes to each partition of a transaction to commit or abort it. The record's key is a
/// <see cref="ControlRecord"/> key of type Commit or Abort; its value is:
/// <code>
/// version           int16  0
/// coordinator_epoch int32
/// </code>
/// A value with a newer version is read as version 0. The batch carrying it has the control and
/// transactional attributes and the transaction's producer id and epoch.
/// </summary>
public readonly record struct EndTransactionMarker(ControlRecordType Type, int CoordinatorEpoch)
{
    public const short CurrentValueVersion = 0;

    /// <summary>Bytes of a version-0 value.</summary>
    public const int ValueSize = 6;

    /// <summary>Reads the marker of a control record; false when its key or value is malformed or not a marker.</summary>
    public static bool TryRead(Record record, out EndTransactionMarker marker)
    {
        marker = default;
        if (!ControlRecord.TryReadKey(record.Key, out _, out var type) || record.IsValueNull)
        {
            return false;
        }

        return TryReadValue(type, record.Value, out marker);
    }

    /// <summary>Reads a marker value for a key of <paramref name="type"/>, which must be Abort or Commit.</summary>
    public static bool TryReadValue(ControlRecordType type, ReadOnlySpan<byte> value, out EndTransactionMarker marker)
    {
        marker = default;
        if (type is not (ControlRecordType.Abort or ControlRecordType.Commit) || value.Length < ValueSize)
        {
            return false;
        }

        var version = BinaryPrimitives.ReadInt16BigEndian(value);
        if (version < 0)
        {
            return false;
        }

        marker = new EndTransactionMarker(type, BinaryPrimitives.ReadInt32BigEndian(value[2..]));
        return true;
    }

    /// <summary>Writes the version-0 value; returns <see cref="ValueSize"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="ValueSize"/>.</exception>
    public int WriteValue(Span<byte> destination)
    {
        if (destination.Length < ValueSize)
        {
            throw new ArgumentException($"A transaction marker value needs {ValueSize} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteInt16BigEndian(destination, CurrentValueVersion);
        BinaryPrimitives.WriteInt32BigEndian(destination[2..], CoordinatorEpoch);
        return ValueSize;
    }
}
