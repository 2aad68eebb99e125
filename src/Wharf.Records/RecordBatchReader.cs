using System.Buffers;
using Wharf.Records.Compression;
using static Wharf.Records.RecordBatchLayout;

namespace Wharf.Records;

/// <summary>
/// Opens one RecordBatch v2 for reading its records: checks the header (<see cref="RecordBatchValidator.ValidateHeader"/>,
/// so magic, length and CRC), then exposes the record area — in place when uncompressed, otherwise
/// decompressed within a bound into a pooled or caller-provided buffer.
/// <code>
/// var error = RecordBatchReader.TryOpen(batch, maxDecompressedBytes, out var reader);
/// using (reader) { foreach (var record in reader) { ... } }
/// </code>
/// Records are views into the batch or the buffer, valid until <see cref="Dispose"/>. Malformed records stop
/// the enumeration and set <see cref="RecordEnumerator.Error"/>; use <see cref="RecordBatchValidator.Validate"/>
/// to reject a batch up front. Thread-safety: a ref struct, confined to its stack frame; dispose it once.
/// </summary>
public ref struct RecordBatchReader
{
    private byte[]? _rented;

    private RecordBatchReader(RecordBatchHeader header, ReadOnlySpan<byte> records, byte[]? rented)
    {
        Header = header;
        Records = records;
        _rented = rented;
    }

    public RecordBatchHeader Header { get; }

    /// <summary>The uncompressed record area: record_count records back to back.</summary>
    public ReadOnlySpan<byte> Records { get; private set; }

    /// <summary>
    /// Opens the batch at the start of <paramref name="batch"/>, decompressing into a buffer rented from
    /// <see cref="ArrayPool{T}.Shared"/> of at most <paramref name="maxDecompressedBytes"/>; <see cref="Dispose"/>
    /// returns it. On error <paramref name="reader"/> is empty and owns nothing.
    /// </summary>
    public static RecordBatchError TryOpen(ReadOnlySpan<byte> batch, int maxDecompressedBytes, out RecordBatchReader reader)
    {
        reader = default;
        var error = OpenHeader(batch, out var header, out var codec);
        if (error != RecordBatchError.None)
        {
            return error;
        }

        var blob = batch[RecordsOffset..header.TotalSize];
        if (codec is null)
        {
            reader = new RecordBatchReader(header, blob, rented: null);
            return RecordBatchError.None;
        }

        error = RecordDecompressor.Decompress(codec, blob, maxDecompressedBytes, out var rented, out var length);
        if (error != RecordBatchError.None)
        {
            return error;
        }

        reader = new RecordBatchReader(header, rented.AsSpan(0, length), rented);
        return RecordBatchError.None;
    }

    /// <summary>
    /// Opens the batch at the start of <paramref name="batch"/>, decompressing into
    /// <paramref name="decompressionBuffer"/>, whose length is the bound.
    /// </summary>
    public static RecordBatchError TryOpen(ReadOnlySpan<byte> batch, Span<byte> decompressionBuffer, out RecordBatchReader reader)
    {
        reader = default;
        var error = OpenHeader(batch, out var header, out var codec);
        if (error != RecordBatchError.None)
        {
            return error;
        }

        var blob = batch[RecordsOffset..header.TotalSize];
        if (codec is null)
        {
            reader = new RecordBatchReader(header, blob, rented: null);
            return RecordBatchError.None;
        }

        var status = codec.Decompress(blob, decompressionBuffer, out var written);
        if (status != OperationStatus.Done)
        {
            return status == OperationStatus.DestinationTooSmall
                ? RecordBatchError.DecompressedSizeExceeded
                : RecordBatchError.CorruptCompressedData;
        }

        reader = new RecordBatchReader(header, decompressionBuffer[..written], rented: null);
        return RecordBatchError.None;
    }

    public readonly RecordEnumerator GetEnumerator() => new(Header, Records);

    /// <summary>Returns the pooled buffer, if any. The record views must not be used afterwards.</summary>
    public void Dispose()
    {
        Records = default;
        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static RecordBatchError OpenHeader(ReadOnlySpan<byte> batch, out RecordBatchHeader header, out ICompressionCodec? codec)
    {
        codec = null;
        var error = RecordBatchValidator.ValidateHeader(batch, out header);
        if (error != RecordBatchError.None)
        {
            return error;
        }

        if (header.Compression == CompressionType.None)
        {
            return RecordBatchError.None;
        }

        codec = CompressionCodecs.Get(header.Compression);
        return codec is null ? RecordBatchError.UnknownCompression : RecordBatchError.None;
    }
}
