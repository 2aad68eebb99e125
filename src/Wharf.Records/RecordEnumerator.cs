namespace Wharf.Records;

/// <summary>
/// Walks the records of an uncompressed record area without allocating. Use it in <c>foreach</c>; after the
/// loop, <see cref="Error"/> says whether it stopped because the bytes were malformed (it never throws for
/// bad data). Obtain one from <see cref="RecordBatchReader"/> or construct it over a raw record area.
/// Thread-safety: a ref struct, confined to its stack frame.
/// </summary>
public ref struct RecordEnumerator
{
    private readonly ReadOnlySpan<byte> _records;
    private readonly long _baseOffset;
    private readonly long _baseTimestamp;
    private readonly bool _logAppendTime;
    private int _position;
    private int _remaining;

    /// <summary>Enumerates <paramref name="recordCount"/> records of <paramref name="records"/>.</summary>
    /// <param name="records">The record area: everything after the batch header, decompressed.</param>
    /// <param name="recordCount">The batch's record_count.</param>
    /// <param name="baseOffset">Added to each offset delta to give <see cref="Record.Offset"/>.</param>
    /// <param name="baseTimestamp">Added to each timestamp delta to give <see cref="Record.Timestamp"/>.</param>
    public RecordEnumerator(ReadOnlySpan<byte> records, int recordCount, long baseOffset = 0, long baseTimestamp = 0)
        : this(records, recordCount, baseOffset, baseTimestamp, logAppendTime: false)
    {
    }

    /// <summary>Enumerates the records of a batch whose record area is <paramref name="records"/>.</summary>
    public RecordEnumerator(scoped in RecordBatchHeader header, ReadOnlySpan<byte> records)
        : this(
            records,
            header.RecordCount,
            header.BaseOffset,
            header.TimestampType == TimestampType.LogAppendTime ? header.MaxTimestamp : header.BaseTimestamp,
            header.TimestampType == TimestampType.LogAppendTime)
    {
    }

    private RecordEnumerator(ReadOnlySpan<byte> records, int recordCount, long baseOffset, long baseTimestamp, bool logAppendTime)
    {
        _records = records;
        _remaining = recordCount;
        if (recordCount < 0)
        {
            Error = RecordBatchError.InvalidRecordCount;
        }

        _baseOffset = baseOffset;
        _baseTimestamp = baseTimestamp;
        _logAppendTime = logAppendTime;
    }

    public Record Current { get; private set; }

    /// <summary>
    /// <see cref="RecordBatchError.None"/> while the records are well formed; otherwise why enumeration stopped,
    /// including <see cref="RecordBatchError.RecordCountTooHigh"/> and
    /// <see cref="RecordBatchError.TrailingBytesAfterRecords"/> when count and bytes disagree.
    /// </summary>
    public RecordBatchError Error { get; private set; }

    public readonly RecordEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_remaining <= 0)
        {
            if (_remaining == 0 && _position != _records.Length)
            {
                Error = RecordBatchError.TrailingBytesAfterRecords;
                _remaining = -1;
            }

            return false;
        }

        if (_position == _records.Length)
        {
            return Stop(RecordBatchError.RecordCountTooHigh);
        }

        var error = RecordDecoder.TryRead(_records, ref _position, _baseOffset, _baseTimestamp, _logAppendTime, out var record);
        if (error != RecordBatchError.None)
        {
            return Stop(error);
        }

        _remaining--;
        Current = record;
        return true;
    }

    private bool Stop(RecordBatchError error)
    {
        Error = error;
        _remaining = -1;
        Current = default;
        return false;
    }
}
