using System.Buffers;
using System.Buffers.Binary;
using Wharf.Common;

namespace Wharf.Records.Compression;

/// <summary>
/// Codec 2: snappy, in both forms Kafka clients send. librdkafka writes a raw snappy block (a varint of the
/// uncompressed length, then the compressed stream); Java and kafka-python write the "xerial" framing of
/// snappy-java's <c>SnappyOutputStream</c>:
/// <code>
/// magic        8 bytes  0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
/// version      int32    big-endian (1)
/// compatible   int32    big-endian (1)
/// blocks       repeated: int32 big-endian compressed length, then a raw snappy block
/// </code>
/// Decoding detects the framing by its magic, as librdkafka and Kafka do. Encoding writes raw snappy.
/// Thread-safety: stateless.
/// </summary>
internal sealed class SnappyCodec : ICompressionCodec
{
    private const int XerialHeaderSize = 16;

    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0x00];

    public CompressionType Type => CompressionType.Snappy;

    public OperationStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!source.StartsWith(XerialMagic))
        {
            return DecompressRaw(source, destination, out bytesWritten);
        }

        if (source.Length < XerialHeaderSize)
        {
            return OperationStatus.InvalidData;
        }

        var position = XerialHeaderSize;
        var total = 0;
        while (position < source.Length)
        {
            if (source.Length - position < sizeof(int))
            {
                return OperationStatus.InvalidData;
            }

            var blockLength = BinaryPrimitives.ReadInt32BigEndian(source[position..]);
            position += sizeof(int);
            if (blockLength < 0 || blockLength > source.Length - position)
            {
                return OperationStatus.InvalidData;
            }

            var status = DecompressRaw(source.Slice(position, blockLength), destination[total..], out var written);
            if (status != OperationStatus.Done)
            {
                return status;
            }

            total += written;
            position += blockLength;
        }

        bytesWritten = total;
        return OperationStatus.Done;
    }

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var span = destination.GetSpan(Snappier.Snappy.GetMaxCompressedLength(source.Length));
        destination.Advance(Snappier.Snappy.Compress(source, span));
    }

    /// <summary>The xerial framing snappy-java writes (Java client, kafka-python), with 32 KiB blocks.</summary>
    internal static void CompressXerial(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int blockSize = 32 * 1024)
    {
        var header = destination.GetSpan(XerialHeaderSize);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        destination.Advance(XerialHeaderSize);
        for (var position = 0; position < source.Length; position += blockSize)
        {
            var block = source.Slice(position, Math.Min(blockSize, source.Length - position));
            var span = destination.GetSpan(sizeof(int) + Snappier.Snappy.GetMaxCompressedLength(block.Length));
            var written = Snappier.Snappy.Compress(block, span[sizeof(int)..]);
            BinaryPrimitives.WriteInt32BigEndian(span, written);
            destination.Advance(sizeof(int) + written);
        }
    }

    private static OperationStatus DecompressRaw(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;

        // The preamble gives the exact output size, so a bomb is refused before any work.
        if (Varint.DecodeUnsignedVarint(source, out var length, out _) != OperationStatus.Done)
        {
            return OperationStatus.InvalidData;
        }

        if (length > (uint)destination.Length)
        {
            return OperationStatus.DestinationTooSmall;
        }

        try
        {
            if (!Snappier.Snappy.TryDecompress(source, destination[..(int)length], out var written) || written != length)
            {
                return OperationStatus.InvalidData;
            }

            bytesWritten = written;
            return OperationStatus.Done;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            return OperationStatus.InvalidData;
        }
    }
}
