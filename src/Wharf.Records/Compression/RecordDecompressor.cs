using System.Buffers;

namespace Wharf.Records.Compression;

/// <summary>
/// Decompresses a batch's record blob into a buffer rented from <see cref="ArrayPool{T}.Shared"/>, never
/// larger than the caller's bound. The buffer starts small (a few times the compressed size) and grows
/// fourfold while the codec reports it too small, so small batches don't rent the whole bound and a bomb
/// stops at the bound. Thread-safety: stateless.
/// </summary>
internal static class RecordDecompressor
{
    private const int MinimumInitialSize = 64 * 1024;

    /// <summary>
    /// On success <paramref name="rented"/> holds <paramref name="length"/> decompressed bytes and must be returned
    /// to <see cref="ArrayPool{T}.Shared"/> by the caller; on error nothing is rented.
    /// </summary>
    internal static RecordBatchError Decompress(ICompressionCodec codec, ReadOnlySpan<byte> compressed, int limit, out byte[]? rented, out int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        rented = null;
        length = 0;
        var size = (int)Math.Min(limit, Math.Max(MinimumInitialSize, 4L * compressed.Length));
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            var usable = Math.Min(buffer.Length, limit);
            var status = codec.Decompress(compressed, buffer.AsSpan(0, usable), out var written);
            if (status == OperationStatus.Done)
            {
                rented = buffer;
                length = written;
                return RecordBatchError.None;
            }

            ArrayPool<byte>.Shared.Return(buffer);
            if (status != OperationStatus.DestinationTooSmall)
            {
                return RecordBatchError.CorruptCompressedData;
            }

            if (usable >= limit)
            {
                return RecordBatchError.DecompressedSizeExceeded;
            }

            size = (int)Math.Min(limit, 4L * usable);
        }
    }
}
