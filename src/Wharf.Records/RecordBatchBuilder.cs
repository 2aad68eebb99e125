using System.Buffers;
using System.Text;
using Wharf.Common;
using Wharf.Records.Compression;

namespace Wharf.Records;

/// <summary>
/// Builds one RecordBatch v2 (magic 2) from records: encodes each record as it is appended (layout in
/// <see cref="Record"/>), then on <see cref="WriteTo"/> compresses the record area with the chosen codec,
/// writes the header and computes the CRC-32C. Offset deltas run 0, 1, 2 ...; base_timestamp is the first
/// record's timestamp and max_timestamp the largest. Used by tests and by the broker's internal topics.
/// Thread-safety: not thread-safe; one builder per writer. Reusable after <see cref="Reset"/>.
/// </summary>
public sealed class RecordBatchBuilder
{
    private const long NoTimestamp = -1;

    private readonly ArrayBufferWriter<byte> _records = new();
    private readonly ArrayBufferWriter<byte> _compressed = new();
    private long _baseTimestamp = NoTimestamp;
    private long _maxTimestamp = NoTimestamp;

    public RecordBatchBuilder(CompressionType compression = CompressionType.None) => Compression = compression;

    public CompressionType Compression { get; set; }

    public TimestampType TimestampType { get; set; }

    public long BaseOffset { get; set; }

    /// <summary>-1 (none) as a producer sends it; the broker stamps the leader epoch on append.</summary>
    public int PartitionLeaderEpoch { get; set; } = -1;

    public long ProducerId { get; set; } = -1;

    public short ProducerEpoch { get; set; } = -1;

    public int BaseSequence { get; set; } = -1;

    public bool IsTransactional { get; set; }

    public bool IsControl { get; set; }

    public int RecordCount { get; private set; }

    /// <summary>Bytes of the uncompressed record area so far.</summary>
    public int UncompressedRecordBytes => _records.WrittenCount;

    /// <summary>Appends a record; a null key or value is written as length -1 (a null value is a tombstone).</summary>
    /// <exception cref="ArgumentException">a header key is null.</exception>
    public RecordBatchBuilder Append(long timestamp, byte[]? key, byte[]? value, params ReadOnlySpan<RecordHeaderEntry> headers) =>
        Append(timestamp, AsNullableMemory(key), AsNullableMemory(value), headers);

    /// <summary>
    /// Appends a record; a null key or value is written as length -1 (a null value is a tombstone). Note that a
    /// null array converted to <see cref="ReadOnlyMemory{T}"/> is empty, not null: pass arrays to the other overload.
    /// </summary>
    /// <exception cref="ArgumentException">a header key is null.</exception>
    public RecordBatchBuilder Append(long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, params ReadOnlySpan<RecordHeaderEntry> headers)
    {
        if (RecordCount == 0)
        {
            _baseTimestamp = timestamp;
        }

        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        var timestampDelta = timestamp - _baseTimestamp;
        var offsetDelta = RecordCount;

        var headersSize = Varint.SizeOfVarint(headers.Length);
        foreach (var header in headers)
        {
            ArgumentNullException.ThrowIfNull(header.Key, nameof(headers));
            var keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            headersSize += Varint.SizeOfVarint(keyBytes) + keyBytes + SizeOfBytes(header.Value);
        }

        var bodySize = 1 + Varint.SizeOfVarlong(timestampDelta) + Varint.SizeOfVarint(offsetDelta)
            + SizeOfBytes(key) + SizeOfBytes(value) + headersSize;
        var totalSize = Varint.SizeOfVarint(bodySize) + bodySize;

        var span = _records.GetSpan(totalSize);
        var p = Varint.WriteVarint(span, bodySize);
        span[p++] = 0; // attributes: unused
        p += Varint.WriteVarlong(span[p..], timestampDelta);
        p += Varint.WriteVarint(span[p..], offsetDelta);
        p += WriteBytes(span[p..], key);
        p += WriteBytes(span[p..], value);
        p += Varint.WriteVarint(span[p..], headers.Length);
        foreach (var header in headers)
        {
            var keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            p += Varint.WriteVarint(span[p..], keyBytes);
            p += Encoding.UTF8.GetBytes(header.Key, span[p..]);
            p += WriteBytes(span[p..], header.Value);
        }

        _records.Advance(p);
        RecordCount++;
        return this;
    }

    /// <summary>
    /// Appends the control record of a transaction marker and marks the batch control and transactional.
    /// A marker batch holds only this record.
    /// </summary>
    public RecordBatchBuilder AppendEndTransactionMarker(EndTransactionMarker marker, long timestamp)
    {
        IsControl = true;
        IsTransactional = true;
        var key = new byte[ControlRecord.KeySize];
        ControlRecord.WriteKey(key, marker.Type);
        var value = new byte[EndTransactionMarker.ValueSize];
        marker.WriteValue(value);
        return Append(timestamp, key, value);
    }

    /// <summary>Writes the finished batch to <paramref name="destination"/>; returns its size in bytes.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Compression"/> is not a known codec.</exception>
    public int WriteTo(IBufferWriter<byte> destination)
    {
        var header = new RecordBatchHeader(
            BaseOffset,
            BatchLength: 0,
            PartitionLeaderEpoch,
            RecordBatchLayout.CurrentMagic,
            Crc: 0,
            Attributes(),
            LastOffsetDelta: Math.Max(RecordCount - 1, 0),
            _baseTimestamp,
            _maxTimestamp,
            ProducerId,
            ProducerEpoch,
            BaseSequence,
            RecordCount);

        if (Compression == CompressionType.None)
        {
            return RecordBatchWriter.Write(destination, header, _records.WrittenSpan);
        }

        var codec = CompressionCodecs.Get(Compression)
            ?? throw new InvalidOperationException($"Unknown compression type {(int)Compression}.");
        _compressed.ResetWrittenCount();
        codec.Compress(_records.WrittenSpan, _compressed);
        return RecordBatchWriter.Write(destination, header, _compressed.WrittenSpan);
    }

    /// <summary>The finished batch as a new array.</summary>
    public byte[] ToArray()
    {
        var buffer = new ArrayBufferWriter<byte>(RecordBatchLayout.HeaderSize + _records.WrittenCount);
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Forgets the records (keeps the batch-level settings).</summary>
    public void Reset()
    {
        _records.ResetWrittenCount();
        RecordCount = 0;
        _baseTimestamp = NoTimestamp;
        _maxTimestamp = NoTimestamp;
    }

    private short Attributes()
    {
        var attributes = (int)Compression & 0x07;
        if (TimestampType == TimestampType.LogAppendTime)
        {
            attributes |= 0x08;
        }

        if (IsTransactional)
        {
            attributes |= 0x10;
        }

        if (IsControl)
        {
            attributes |= 0x20;
        }

        return (short)attributes;
    }

    /// <summary>Keeps null as null: <c>cond ? null : array</c> would convert to an empty, non-null memory.</summary>
    internal static ReadOnlyMemory<byte>? AsNullableMemory(byte[]? bytes)
    {
        if (bytes is null)
        {
            return null;
        }

        return new ReadOnlyMemory<byte>(bytes);
    }

    private static int SizeOfBytes(ReadOnlyMemory<byte>? bytes) =>
        bytes is { } b ? Varint.SizeOfVarint(b.Length) + b.Length : Varint.SizeOfVarint(-1);

    private static int WriteBytes(Span<byte> destination, ReadOnlyMemory<byte>? bytes)
    {
        if (bytes is not { } b)
        {
            return Varint.WriteVarint(destination, -1);
        }

        var written = Varint.WriteVarint(destination, b.Length);
        b.Span.CopyTo(destination[written..]);
        return written + b.Length;
    }
}
