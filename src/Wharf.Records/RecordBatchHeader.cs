using System.Buffers.Binary;
using static Wharf.Records.RecordBatchLayout;

namespace Wharf.Records;

/// <summary>
/// The decoded fixed header of one RecordBatch v2 (see <see cref="RecordBatchLayout"/>). A plain value:
/// reading it validates nothing; use <see cref="RecordBatchValidator"/> for that.
/// </summary>
public readonly record struct RecordBatchHeader(
    long BaseOffset,
    int BatchLength,
    int PartitionLeaderEpoch,
    byte Magic,
    uint Crc,
    short Attributes,
    int LastOffsetDelta,
    long BaseTimestamp,
    long MaxTimestamp,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int RecordCount)
{
    /// <summary>Bytes the whole batch occupies, header included.</summary>
    public int TotalSize => BatchLength + LogOverhead;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>The offset after this batch: where the next batch starts.</summary>
    public long NextOffset => LastOffset + 1;

    public CompressionType Compression => (CompressionType)(Attributes & 0x07);

    public TimestampType TimestampType => (Attributes & 0x08) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & 0x10) != 0;

    public bool IsControl => (Attributes & 0x20) != 0;

    public bool HasDeleteHorizon => (Attributes & 0x40) != 0;

    public bool HasProducerId => ProducerId >= 0;

    /// <summary>Reads a header from the first <see cref="HeaderSize"/> bytes of <paramref name="batch"/>.</summary>
    /// <exception cref="ArgumentException">fewer than <see cref="HeaderSize"/> bytes.</exception>
    public static RecordBatchHeader Read(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
        {
            throw new ArgumentException($"A record batch header needs {HeaderSize} bytes; got {batch.Length}.", nameof(batch));
        }

        return new RecordBatchHeader(
            BinaryPrimitives.ReadInt64BigEndian(batch[BaseOffsetOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[LengthOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochOffset..]),
            batch[MagicOffset],
            BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]),
            BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[BaseTimestampOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdOffset..]),
            BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[RecordCountOffset..]));
    }

    /// <summary>
    /// Stamps the fields the broker owns and the CRC does not cover: base offset and partition leader epoch.
    /// </summary>
    public static void StampOffsetAndEpoch(Span<byte> batch, long baseOffset, int partitionLeaderEpoch)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetOffset..], baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], partitionLeaderEpoch);
    }
}
