using Wharf.Common;
using static Wharf.Records.RecordBatchLayout;

namespace Wharf.Records;

/// <summary>
/// Checks record batches before they are stored or served. Thread-safety: stateless.
/// </summary>
public static partial class RecordBatchValidator
{
    /// <summary>
    /// Cheap checks on the batch at the start of <paramref name="bytes"/>: enough bytes for the header and for
    /// batch_length, magic 2, and the CRC-32C over attributes..end. Does not walk the records.
    /// </summary>
    /// <remarks><paramref name="verifyCrc"/> is false only when these very bytes already passed this check (the CRC is
    /// the one per-byte cost here, so the produce path computes it once).</remarks>
    public static RecordBatchError ValidateHeader(ReadOnlySpan<byte> bytes, out RecordBatchHeader header, bool verifyCrc = true)
    {
        header = default;
        if (bytes.Length < HeaderSize)
        {
            // A legacy message set can be shorter than a v2 header; report the magic when we can see it.
            if (bytes.Length > MagicOffset && bytes[MagicOffset] < CurrentMagic)
            {
                return RecordBatchError.LegacyMagic;
            }

            return RecordBatchError.Truncated;
        }

        header = RecordBatchHeader.Read(bytes);
        if (header.Magic < CurrentMagic)
        {
            return RecordBatchError.LegacyMagic;
        }

        if (header.Magic > CurrentMagic)
        {
            return RecordBatchError.UnknownMagic;
        }

        if (header.BatchLength < HeaderSize - LogOverhead)
        {
            return RecordBatchError.InvalidLength;
        }

        // In long: batch_length near int.MaxValue would overflow TotalSize.
        if (bytes.Length < (long)header.BatchLength + LogOverhead)
        {
            return RecordBatchError.Truncated;
        }

        if (header.RecordCount < 0 || header.LastOffsetDelta < 0)
        {
            return RecordBatchError.InvalidRecordCount;
        }

        if (!verifyCrc)
        {
            return RecordBatchError.None;
        }

        var crc = Crc32C.Compute(bytes[AttributesOffset..header.TotalSize]);
        return crc == header.Crc ? RecordBatchError.None : RecordBatchError.CrcMismatch;
    }
}
