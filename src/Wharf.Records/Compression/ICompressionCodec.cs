using System.Buffers;

namespace Wharf.Records.Compression;

/// <summary>
/// One of Kafka's record-batch compression codecs. A batch's records are compressed as one blob.
/// </summary>
/// <remarks>
/// Decompression is always bounded by the destination: an implementation never writes past it and never
/// allocates in proportion to the decompressed size, so a decompression bomb costs at most the caller's bound.
/// It never throws for malformed input. Thread-safety: implementations are safe to share between threads.
/// </remarks>
public interface ICompressionCodec
{
    CompressionType Type { get; }

    /// <summary>Decompresses <paramref name="source"/> into <paramref name="destination"/>.</summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> with <paramref name="bytesWritten"/> set;
    /// <see cref="OperationStatus.DestinationTooSmall"/> when the output would exceed the destination;
    /// <see cref="OperationStatus.InvalidData"/> when the input is not valid for this codec.
    /// </returns>
    OperationStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten);

    /// <summary>Compresses <paramref name="source"/> and appends the result to <paramref name="destination"/>.</summary>
    void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination);
}
