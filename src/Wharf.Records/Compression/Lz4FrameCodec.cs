using System.Buffers;
using System.Buffers.Binary;
using K4os.Compression.LZ4;
using K4os.Hash.xxHash;

namespace Wharf.Records.Compression;

/// <summary>
/// Codec 3: the LZ4 frame format (lz4_Frame_format.md v1.6), which Kafka ≥ 0.10 and librdkafka write:
/// <code>
/// magic        uint32 LE  0x184D2204
/// FLG          byte       version 01 (bits 7-6), block independence (5), block checksum (4),
///                         content size (3), content checksum (2), reserved 0 (1), dictionary id (0)
/// BD           byte       block max size in bits 6-4: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
/// content size uint64 LE  when FLG bit 3
/// HC           byte       (xxHash32(FLG..content size) >> 8) &amp; 0xFF
/// blocks       uint32 LE size (high bit = stored uncompressed; 0 = end mark), data, optional xxHash32
/// checksum     uint32 LE  xxHash32 of the content, when FLG bit 2
/// </code>
/// Our own decoder so that every size is checked against the caller's bound before any work, linked blocks
/// (librdkafka's default) decode against the preceding 64 KiB of output in place, and nothing is allocated.
/// Frames with a dictionary id are refused (no Kafka client writes them). Old Kafka clients' broken header
/// checksum (KAFKA-3160) is not accepted. Encoding writes independent 64 KiB blocks without checksums, like
/// Kafka's <c>KafkaLZ4BlockOutputStream</c>. Thread-safety: stateless.
/// </summary>
internal sealed class Lz4FrameCodec : ICompressionCodec
{
    private const uint FrameMagic = 0x184D2204;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;
    private const int LinkedWindow = 64 * 1024;
    private const int EncodeBlockSize = 64 * 1024;

    public CompressionType Type => CompressionType.Lz4;

    public OperationStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        var position = 0;
        var total = 0;
        do
        {
            var status = DecodeFrame(source, ref position, destination, ref total);
            if (status != OperationStatus.Done)
            {
                return status;
            }
        }
        while (position < source.Length);

        bytesWritten = total;
        return OperationStatus.Done;
    }

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var header = destination.GetSpan(7);
        BinaryPrimitives.WriteUInt32LittleEndian(header, FrameMagic);
        header[4] = 0x60; // version 01, independent blocks
        header[5] = 0x40; // 64 KiB blocks
        header[6] = HeaderChecksum(header.Slice(4, 2));
        destination.Advance(7);

        for (var position = 0; position < source.Length; position += EncodeBlockSize)
        {
            var block = source.Slice(position, Math.Min(EncodeBlockSize, source.Length - position));
            var span = destination.GetSpan(sizeof(uint) + Math.Max(LZ4Codec.MaximumOutputSize(block.Length), block.Length));
            var encoded = LZ4Codec.Encode(block, span[sizeof(uint)..], LZ4Level.L00_FAST);
            if (encoded <= 0 || encoded >= block.Length)
            {
                block.CopyTo(span[sizeof(uint)..]);
                BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)block.Length | 0x8000_0000u);
                destination.Advance(sizeof(uint) + block.Length);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)encoded);
                destination.Advance(sizeof(uint) + encoded);
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination.GetSpan(sizeof(uint)), 0);
        destination.Advance(sizeof(uint));
    }

    private static OperationStatus DecodeFrame(ReadOnlySpan<byte> source, ref int position, Span<byte> destination, ref int total)
    {
        if (source.Length - position < 4)
        {
            return OperationStatus.InvalidData;
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source[position..]);
        if ((magic & SkippableMagicMask) == SkippableMagic)
        {
            if (source.Length - position < 8)
            {
                return OperationStatus.InvalidData;
            }

            var skip = BinaryPrimitives.ReadUInt32LittleEndian(source[(position + 4)..]);
            if (skip > (uint)(source.Length - position - 8))
            {
                return OperationStatus.InvalidData;
            }

            position += 8 + (int)skip;
            return OperationStatus.Done;
        }

        if (magic != FrameMagic || source.Length - position < 7)
        {
            return OperationStatus.InvalidData;
        }

        var descriptorStart = position + 4;
        var flags = source[descriptorStart];
        var blockDescriptor = source[descriptorStart + 1];
        var independentBlocks = (flags & 0x20) != 0;
        var blockChecksum = (flags & 0x10) != 0;
        var hasContentSize = (flags & 0x08) != 0;
        var contentChecksum = (flags & 0x04) != 0;
        if ((flags & 0xC0) != 0x40 || (flags & 0x03) != 0 || (blockDescriptor & 0x8F) != 0)
        {
            // Wrong version, reserved bits, or a dictionary id.
            return OperationStatus.InvalidData;
        }

        var blockSizeCode = (blockDescriptor >> 4) & 0x07;
        if (blockSizeCode < 4)
        {
            return OperationStatus.InvalidData;
        }

        var maxBlockSize = 1 << (8 + (2 * blockSizeCode));
        var descriptorLength = hasContentSize ? 10 : 2;
        if (source.Length - descriptorStart < descriptorLength + 1)
        {
            return OperationStatus.InvalidData;
        }

        var descriptor = source.Slice(descriptorStart, descriptorLength);
        if (source[descriptorStart + descriptorLength] != HeaderChecksum(descriptor))
        {
            return OperationStatus.InvalidData;
        }

        var frameStart = total;
        if (hasContentSize)
        {
            var contentSize = BinaryPrimitives.ReadUInt64LittleEndian(descriptor[2..]);
            if (contentSize > (ulong)(destination.Length - total))
            {
                return OperationStatus.DestinationTooSmall;
            }
        }

        position = descriptorStart + descriptorLength + 1;
        while (true)
        {
            if (source.Length - position < 4)
            {
                return OperationStatus.InvalidData;
            }

            var blockHeader = BinaryPrimitives.ReadUInt32LittleEndian(source[position..]);
            position += 4;
            if (blockHeader == 0)
            {
                break;
            }

            var stored = (blockHeader & 0x8000_0000u) != 0;
            var blockLength = (int)(blockHeader & 0x7FFF_FFFFu);
            if (blockLength > maxBlockSize || blockLength > source.Length - position - (blockChecksum ? 4 : 0))
            {
                return OperationStatus.InvalidData;
            }

            var block = source.Slice(position, blockLength);
            position += blockLength;
            if (blockChecksum)
            {
                if (XXH32.DigestOf(block) != BinaryPrimitives.ReadUInt32LittleEndian(source[position..]))
                {
                    return OperationStatus.InvalidData;
                }

                position += 4;
            }

            var status = stored
                ? CopyStored(block, destination, ref total)
                : DecodeBlock(block, destination, ref total, maxBlockSize, independentBlocks ? 0 : total - frameStart);
            if (status != OperationStatus.Done)
            {
                return status;
            }
        }

        if (contentChecksum)
        {
            if (source.Length - position < 4
                || XXH32.DigestOf(destination[frameStart..total]) != BinaryPrimitives.ReadUInt32LittleEndian(source[position..]))
            {
                return OperationStatus.InvalidData;
            }

            position += 4;
        }

        if (hasContentSize && BinaryPrimitives.ReadUInt64LittleEndian(descriptor[2..]) != (ulong)(total - frameStart))
        {
            return OperationStatus.InvalidData;
        }

        return OperationStatus.Done;
    }

    private static OperationStatus CopyStored(ReadOnlySpan<byte> block, Span<byte> destination, ref int total)
    {
        if (block.Length > destination.Length - total)
        {
            return OperationStatus.DestinationTooSmall;
        }

        block.CopyTo(destination[total..]);
        total += block.Length;
        return OperationStatus.Done;
    }

    /// <summary><paramref name="history"/>: bytes of this frame already decoded that a linked block may refer back to.</summary>
    private static OperationStatus DecodeBlock(ReadOnlySpan<byte> block, Span<byte> destination, ref int total, int maxBlockSize, int history)
    {
        var room = destination.Length - total;
        var target = destination.Slice(total, Math.Min(room, maxBlockSize));
        var dictionaryLength = Math.Min(history, LinkedWindow);
        var dictionary = destination.Slice(total - dictionaryLength, dictionaryLength);
        var decoded = LZ4Codec.Decode(block, target, dictionary);
        if (decoded >= 0)
        {
            total += decoded;
            return OperationStatus.Done;
        }

        if (room >= maxBlockSize)
        {
            return OperationStatus.InvalidData;
        }

        // Failure with less room than a full block: corrupt, or just too big for the bound? Decode into a
        // pooled block-sized scratch buffer to tell which.
        var scratch = ArrayPool<byte>.Shared.Rent(maxBlockSize);
        try
        {
            return LZ4Codec.Decode(block, scratch.AsSpan(0, maxBlockSize), dictionary) >= 0
                ? OperationStatus.DestinationTooSmall
                : OperationStatus.InvalidData;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static byte HeaderChecksum(ReadOnlySpan<byte> descriptor) => (byte)(XXH32.DigestOf(descriptor) >> 8);
}
