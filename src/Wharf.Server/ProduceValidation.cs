using Wharf.Common;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// What the leader checks in a producer's batch before the log sees it (the log itself checks size, magic and
/// CRC again as it appends):
/// <list type="bullet">
/// <item>exactly one v2 batch per partition (Produce v3+);</item>
/// <item>no control batches (transaction markers are written by the broker, never by clients);</item>
/// <item>a batch with a producer id (idempotent or transactional) carries an epoch and a base sequence ≥ 0; its
/// sequence and epoch are then checked against the partition's producer state by the log
/// (<see cref="ProducerStateManager"/>);</item>
/// <item>uncompressed batches: every record walked (lengths, varints, counts, offset deltas);</item>
/// <item>compacted topics: compressed batches are decompressed within a bound of
/// <see cref="DecompressionFactor"/> × <c>max.message.bytes</c> (a decompression bomb is refused, never
/// allocated), and every record must have a key, as compaction keeps the newest record per key.</item>
/// </list>
/// Other compressed batches are stored as received, without decompression. Thread-safety: stateless.
/// </summary>
public static class ProduceValidation
{
    /// <summary>How much larger than <c>max.message.bytes</c> a compacted topic's batch may decompress to.</summary>
    public const int DecompressionFactor = 16;

    public static (ErrorCode Error, string? Message) Validate(ReadOnlySpan<byte> batch, LogConfig config)
    {
        var error = RecordBatchValidator.ValidateHeader(batch, out var header);
        if (error != RecordBatchError.None)
        {
            return Fail(error);
        }

        if (header.TotalSize != batch.Length)
        {
            return (ErrorCode.InvalidRecord, "a produce request must carry exactly one record batch per partition");
        }

        if (header.IsControl)
        {
            return (ErrorCode.InvalidRecord, "clients may not write control batches");
        }

        if (header.HasProducerId && (header.ProducerEpoch < 0 || header.BaseSequence < 0))
        {
            return (ErrorCode.InvalidRecord, $"producer {header.ProducerId} sent epoch {header.ProducerEpoch} and base sequence {header.BaseSequence}; both must be at least 0");
        }

        if (!config.IsCompacted)
        {
            return header.Compression == CompressionType.None
                ? Fail(RecordBatchValidator.ValidateRecords(header, batch[RecordBatchLayout.RecordsOffset..]))
                : (ErrorCode.None, null);
        }

        var bound = (int)Math.Min(int.MaxValue / 2, (long)config.MaxMessageBytes * DecompressionFactor);
        error = RecordBatchReader.TryOpen(batch, bound, out var reader);
        if (error != RecordBatchError.None)
        {
            return Fail(error);
        }

        using (reader)
        {
            error = RecordBatchValidator.ValidateRecords(header, reader.Records);
            if (error != RecordBatchError.None)
            {
                return Fail(error);
            }

            foreach (var record in reader)
            {
                if (record.IsKeyNull && !header.IsControl)
                {
                    return (ErrorCode.InvalidRecord, "a compacted topic accepts only records with a key");
                }
            }
        }

        return (ErrorCode.None, null);
    }

    private static (ErrorCode Error, string? Message) Fail(RecordBatchError error) =>
        error == RecordBatchError.None ? (ErrorCode.None, null) : (error.ToErrorCode(), $"invalid record batch: {error}");
}
