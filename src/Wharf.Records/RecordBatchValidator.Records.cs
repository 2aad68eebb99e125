namespace Wharf.Records;

public static partial class RecordBatchValidator
{
    /// <summary>
    /// Full check of the batch at the start of <paramref name="batch"/>: everything
    /// <see cref="ValidateHeader"/> checks, a known codec, then every record, decompressed within
    /// <paramref name="maxDecompressedBytes"/> when the batch is compressed (the buffer is pooled and returned).
    /// </summary>
    /// <remarks>
    /// Record rules: record_count records exactly fill the record area; each record's length covers exactly
    /// its fields; every varint is in range; key and value lengths are ≥ -1, header key lengths ≥ 0, header
    /// counts ≥ 0, and all fit inside the record; offset deltas are ≥ 0 and strictly increasing, none beyond
    /// last_offset_delta, and the last equals it. (Compacted batches may have gaps and fewer records than
    /// last_offset_delta + 1; producer input must not — see <see cref="ValidateProducerBatch"/>.)
    /// Never throws for malformed data; allocates nothing beyond pooled buffers and a compression codec's
    /// small fixed-size working objects.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDecompressedBytes"/> is negative.</exception>
    public static RecordBatchError Validate(ReadOnlySpan<byte> batch, int maxDecompressedBytes, out RecordBatchHeader header)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDecompressedBytes);
        var error = RecordBatchReader.TryOpen(batch, maxDecompressedBytes, out var reader);
        header = reader.Header;
        if (error != RecordBatchError.None)
        {
            // The header may still have been read; report it for logging.
            if (batch.Length >= RecordBatchLayout.HeaderSize)
            {
                header = RecordBatchHeader.Read(batch);
            }

            return error;
        }

        using (reader)
        {
            return ValidateRecords(reader.Header, reader.Records);
        }
    }

    /// <summary>The record rules of <see cref="Validate"/> over an already uncompressed record area.</summary>
    public static RecordBatchError ValidateRecords(in RecordBatchHeader header, ReadOnlySpan<byte> records)
    {
        if (header.RecordCount < 0 || header.LastOffsetDelta < 0)
        {
            return RecordBatchError.InvalidRecordCount;
        }

        var position = 0;
        var previousDelta = -1;
        for (var i = 0; i < header.RecordCount; i++)
        {
            if (position == records.Length)
            {
                return RecordBatchError.RecordCountTooHigh;
            }

            var error = RecordDecoder.TryRead(records, ref position, 0, 0, logAppendTime: false, out var record);
            if (error != RecordBatchError.None)
            {
                return error;
            }

            if (record.OffsetDelta <= previousDelta || record.OffsetDelta > header.LastOffsetDelta)
            {
                return RecordBatchError.InvalidOffsetDelta;
            }

            previousDelta = record.OffsetDelta;
        }

        if (position != records.Length)
        {
            return RecordBatchError.TrailingBytesAfterRecords;
        }

        if (header.RecordCount > 0 && previousDelta != header.LastOffsetDelta)
        {
            return RecordBatchError.LastOffsetDeltaMismatch;
        }

        return RecordBatchError.None;
    }

    /// <summary>
    /// The extra header rules Kafka's <c>LogValidator</c> applies to batches produced by clients (call after
    /// <see cref="Validate"/> on the produce path): at least one record and record_count == last_offset_delta + 1,
    /// no control batches, and a base sequence whenever there is a producer id.
    /// </summary>
    public static RecordBatchError ValidateProducerBatch(in RecordBatchHeader header)
    {
        if (header.RecordCount <= 0 || (long)header.LastOffsetDelta + 1 != header.RecordCount)
        {
            return RecordBatchError.InvalidOffsetRange;
        }

        if (header.IsControl)
        {
            return RecordBatchError.ControlBatchNotAllowed;
        }

        if (header.HasProducerId && header.BaseSequence < 0)
        {
            return RecordBatchError.InvalidBaseSequence;
        }

        return RecordBatchError.None;
    }

    /// <summary>
    /// Checks that the batch at the start of <paramref name="batch"/> is a well-formed control batch: valid as a
    /// batch, the control attribute set, uncompressed, exactly one record whose key is a control record key;
    /// for a transaction marker (ABORT/COMMIT) also the transactional attribute and a parseable
    /// <see cref="EndTransactionMarker"/> value.
    /// </summary>
    public static RecordBatchError ValidateControlBatch(ReadOnlySpan<byte> batch, out ControlRecordType type)
    {
        type = default;
        var error = Validate(batch, maxDecompressedBytes: 0, out var header);
        if (error != RecordBatchError.None)
        {
            return error == RecordBatchError.DecompressedSizeExceeded ? RecordBatchError.InvalidControlBatch : error;
        }

        if (!header.IsControl || header.Compression != CompressionType.None || header.RecordCount != 1)
        {
            return RecordBatchError.InvalidControlBatch;
        }

        var enumerator = new RecordEnumerator(header, batch[RecordBatchLayout.RecordsOffset..header.TotalSize]);
        enumerator.MoveNext();
        var record = enumerator.Current;
        if (!ControlRecord.TryReadKey(record.Key, out _, out type))
        {
            return RecordBatchError.InvalidControlRecord;
        }

        if (type is ControlRecordType.Abort or ControlRecordType.Commit)
        {
            if (!header.IsTransactional)
            {
                return RecordBatchError.InvalidControlBatch;
            }

            if (!EndTransactionMarker.TryRead(record, out _))
            {
                return RecordBatchError.InvalidControlRecord;
            }
        }

        return RecordBatchError.None;
    }
}
