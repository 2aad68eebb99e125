namespace Wharf.Records;

/// <summary>
/// A view of one record inside a RecordBatch v2 record area (<c>DefaultRecord</c>):
/// <code>
/// length          varint   bytes after this field
/// attributes      int8     unused, always 0
/// timestamp_delta varlong  against the batch's base_timestamp
/// offset_delta    varint   against the batch's base_offset
/// key_length      varint   -1 = null key
/// key             bytes
/// value_length    varint   -1 = null value (a tombstone)
/// value           bytes
/// header_count    varint
/// headers         header_count x (key_length varint, UTF-8 key, value_length varint (-1 = null), value)
/// </code>
/// All varints are zig-zag. The spans point into the record area; the view is valid only as long as it is.
/// Null and empty are distinct: check <see cref="IsKeyNull"/> / <see cref="IsValueNull"/>.
/// </summary>
public readonly ref struct Record
{
    internal Record(
        int sizeInBytes,
        byte attributes,
        long timestampDelta,
        int offsetDelta,
        long offset,
        long timestamp,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        RecordHeaders headers)
    {
        SizeInBytes = sizeInBytes;
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        IsKeyNull = isKeyNull;
        Value = value;
        IsValueNull = isValueNull;
        Headers = headers;
    }

    /// <summary>Bytes the record takes in the record area, its length varint included.</summary>
    public int SizeInBytes { get; }

    public byte Attributes { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    /// <summary>base_offset + offset_delta (just offset_delta when enumerated without a batch header).</summary>
    public long Offset { get; }

    /// <summary>
    /// base_timestamp + timestamp_delta, or the batch's max_timestamp when the batch uses LogAppendTime
    /// (as Kafka's <c>DefaultRecordBatch</c> reports it).
    /// </summary>
    public long Timestamp { get; }

    /// <summary>The key bytes; empty when <see cref="IsKeyNull"/>.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public bool IsKeyNull { get; }

    /// <summary>The value bytes; empty when <see cref="IsValueNull"/>.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>A null value: on a compacted topic, a tombstone that deletes its key.</summary>
    public bool IsValueNull { get; }

    public RecordHeaders Headers { get; }
}
