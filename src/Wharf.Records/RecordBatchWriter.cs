using System.Buffers;
using System.Buffers.Binary;
using Wharf.Common;
using static Wharf.Records.RecordBatchLayout;

namespace Wharf.Records;

/// <summary>
/// Writes a batch header (layout in <see cref="RecordBatchLayout"/>) in front of an already encoded (and
/// possibly compressed) record blob and computes batch_length and the CRC-32C. The header's own
/// BatchLength and Crc are ignored. Thread-safety: stateless.
/// </summary>
internal static class RecordBatchWriter
{
    internal static int Write(IBufferWriter<byte> destination, in RecordBatchHeader header, ReadOnlySpan<byte> blob)
    {
        var total = HeaderSize + blob.Length;
        var span = destination.GetSpan(total)[..total];
        Write(span, header, blob);
        destination.Advance(total);
        return total;
    }

    /// <summary>Writes into exactly <c>HeaderSize + blob.Length</c> bytes of <paramref name="batch"/>.</summary>
    internal static void Write(Span<byte> batch, in RecordBatchHeader header, ReadOnlySpan<byte> blob)
    {
        var total = HeaderSize + blob.Length;
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetOffset..], header.BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[LengthOffset..], total - LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], header.PartitionLeaderEpoch);
        batch[MagicOffset] = header.Magic;
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], header.Attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[LastOffsetDeltaOffset..], header.LastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseTimestampOffset..], header.BaseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], header.MaxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdOffset..], header.ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochOffset..], header.ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequenceOffset..], header.BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordCountOffset..], header.RecordCount);
        blob.CopyTo(batch[RecordsOffset..]);
        RewriteCrc(batch[..total]);
    }

    /// <summary>Recomputes the CRC of a complete batch after a change to attributes..end.</summary>
    internal static void RewriteCrc(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], Crc32C.Compute(batch[AttributesOffset..]));
}
