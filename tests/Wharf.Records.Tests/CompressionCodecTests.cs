using System.Buffers;
using System.IO.Compression;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using Wharf.Records.Compression;

namespace Wharf.Records.Tests;

public class CompressionCodecTests
{
    private const int OneMiB = 1 << 20;

    public static TheoryData<CompressionType> Codecs => new(TestBatches.AllCodecs.Where(c => c != CompressionType.None));

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_ThenDecompress_ReturnsTheInput(CompressionType type)
    {
        const int seed = 31;
        var random = new Random(seed);
        var codec = CompressionCodecs.Get(type)!;
        foreach (var length in new[] { 0, 1, 100, 65_535, 65_536, 65_537, 300_000 })
        {
            var input = new byte[length];
            random.NextBytes(input.AsSpan(0, length / 2)); // half random, half zeros
            var compressed = Compress(codec, input);
            var output = new byte[length];
            Assert.True(codec.Decompress(compressed, output, out var written) == OperationStatus.Done, $"{type} length {length} seed {seed}");
            Assert.Equal(length, written);
            Assert.True(input.AsSpan().SequenceEqual(output), $"{type} length {length} seed {seed}");
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Decompress_ABombOf64MiBZerosWithA1MiBBound_StopsAtTheBoundWithoutAllocating(CompressionType type)
    {
        var bomb = Compress(CompressionCodecs.Get(type)!, new byte[64 * OneMiB]);
        var batch = TestBatches.Batch(TestBatches.Header(1, 0, type), bomb, alreadyCompressed: true);
        Assert.True(bomb.Length < 4 * OneMiB, $"the {type} bomb should be small, is {bomb.Length}");

        // Warm up: the first call fills the pool and JITs.
        Assert.Equal(RecordBatchError.DecompressedSizeExceeded, RecordBatchValidator.Validate(batch, OneMiB, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = RecordBatchValidator.Validate(batch, OneMiB, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(RecordBatchError.DecompressedSizeExceeded, error);
        Assert.True(allocated < 64 * 1024, $"{type} allocated {allocated} bytes for a 1 MiB bound");
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Decompress_IntoADestinationOneByteTooSmall_IsDestinationTooSmall(CompressionType type)
    {
        var codec = CompressionCodecs.Get(type)!;
        var input = Enumerable.Range(0, 10_000).Select(i => (byte)(i % 251)).ToArray();
        var compressed = Compress(codec, input);
        Assert.Equal(OperationStatus.DestinationTooSmall, codec.Decompress(compressed, new byte[input.Length - 1], out _));
        Assert.Equal(OperationStatus.Done, codec.Decompress(compressed, new byte[input.Length], out var written));
        Assert.Equal(input.Length, written);
    }

    [Fact]
    public void Snappy_DecompressesTheXerialFramingJavaAndKafkaPythonSend()
    {
        var input = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7 % 13)).ToArray();
        var framed = new ArrayBufferWriter<byte>();
        SnappyCodec.CompressXerial(input, framed);
        Assert.Equal(0x82, framed.WrittenSpan[0]);

        var output = new byte[input.Length];
        Assert.Equal(OperationStatus.Done, CompressionCodecs.Snappy.Decompress(framed.WrittenSpan, output, out var written));
        Assert.Equal(input.Length, written);
        Assert.Equal(input, output);
        Assert.Equal(OperationStatus.DestinationTooSmall, CompressionCodecs.Snappy.Decompress(framed.WrittenSpan, new byte[50_000], out _));
    }

    [Fact]
    public void Snappy_AXerialBatchFromAJavaClient_Validates()
    {
        var records = TestBatches.RecordArea(50, valueSize: 2000);
        var framed = new ArrayBufferWriter<byte>();
        SnappyCodec.CompressXerial(records, framed);
        var batch = TestBatches.Batch(TestBatches.Header(50, 49, CompressionType.Snappy), framed.WrittenSpan, alreadyCompressed: true);
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, OneMiB, out _));
    }

    [Fact]
    public void Snappy_ATruncatedXerialBlock_IsInvalidData()
    {
        var framed = new ArrayBufferWriter<byte>();
        SnappyCodec.CompressXerial(new byte[1000], framed);
        Assert.Equal(OperationStatus.InvalidData, CompressionCodecs.Snappy.Decompress(framed.WrittenSpan[..^1], new byte[2000], out _));
        Assert.Equal(OperationStatus.InvalidData, CompressionCodecs.Snappy.Decompress(framed.WrittenSpan[..12], new byte[2000], out _));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Lz4_DecodesFramesFromTheReferenceEncoder_LinkedBlocksAndChecksumsIncluded(bool chainBlocks, bool checksums)
    {
        // librdkafka's default frames use linked blocks; K4os's encoder can write every variant of the format.
        var input = Enumerable.Range(0, 500_000).Select(i => (byte)((i / 100) % 7)).ToArray();
        var settings = new LZ4EncoderSettings
        {
            ChainBlocks = chainBlocks,
            BlockChecksum = checksums,
            ContentChecksum = checksums,
            BlockSize = 64 * 1024,
            CompressionLevel = LZ4Level.L00_FAST,
        };
        var frame = new ArrayBufferWriter<byte>();
        LZ4Frame.Encode(input.AsSpan(), frame, settings);

        var output = new byte[input.Length];
        Assert.Equal(OperationStatus.Done, CompressionCodecs.Lz4.Decompress(frame.WrittenSpan, output, out var written));
        Assert.Equal(input.Length, written);
        Assert.Equal(input, output);
        Assert.Equal(OperationStatus.DestinationTooSmall, CompressionCodecs.Lz4.Decompress(frame.WrittenSpan, new byte[input.Length - 1], out _));
    }

    [Fact]
    public void Lz4_AFrameDeclaringItsContentSize_IsCheckedAgainstTheBoundFirstAndTheOutputAfter()
    {
        var input = Enumerable.Range(0, 100_000).Select(i => (byte)(i % 10)).ToArray();
        var frame = WithContentSize(Compress(CompressionCodecs.Lz4, input), input.Length);
        var output = new byte[input.Length];
        Assert.Equal(OperationStatus.Done, CompressionCodecs.Lz4.Decompress(frame, output, out var written));
        Assert.Equal(input, output);
        Assert.Equal(OperationStatus.DestinationTooSmall, CompressionCodecs.Lz4.Decompress(frame, new byte[10], out _));

        var lying = WithContentSize(Compress(CompressionCodecs.Lz4, input), input.Length - 1);
        Assert.Equal(OperationStatus.InvalidData, CompressionCodecs.Lz4.Decompress(lying, output, out _));
    }

    [Fact]
    public void Lz4_OurFrames_DecodeWithTheReferenceDecoder()
    {
        var input = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 100)).ToArray();
        var ours = Compress(CompressionCodecs.Lz4, input);
        var decoded = new ArrayBufferWriter<byte>();
        LZ4Frame.Decode(ours.AsSpan(), decoded, 0);
        Assert.Equal(input, decoded.WrittenSpan.ToArray());
    }

    [Fact]
    public void Lz4_AWrongHeaderChecksum_IsInvalidData()
    {
        var frame = Compress(CompressionCodecs.Lz4, new byte[100]);
        frame[6] ^= 0xFF;
        Assert.Equal(OperationStatus.InvalidData, CompressionCodecs.Lz4.Decompress(frame, new byte[100], out _));
    }

    [Fact]
    public void Lz4_AWrongBlockChecksum_IsInvalidData()
    {
        var frame = new ArrayBufferWriter<byte>();
        LZ4Frame.Encode(new byte[1000].AsSpan(), frame, new LZ4EncoderSettings { BlockChecksum = true });
        var bytes = frame.WrittenSpan.ToArray();
        bytes[^5] ^= 0x01; // inside the last block's checksum, before the end mark
        Assert.Equal(OperationStatus.InvalidData, CompressionCodecs.Lz4.Decompress(bytes, new byte[1000], out _));
    }

    [Fact]
    public void Gzip_ConcatenatedMembers_DecompressAsOneStream()
    {
        var first = Compress(CompressionCodecs.Gzip, [1, 2, 3]);
        var second = Compress(CompressionCodecs.Gzip, [4, 5]);
        var output = new byte[10];
        Assert.Equal(OperationStatus.Done, CompressionCodecs.Gzip.Decompress([.. first, .. second], output, out var written));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, output[..written]);
    }

    [Fact]
    public void Gzip_FromTheFramework_Decompresses()
    {
        var input = new byte[5000];
        new Random(3).NextBytes(input);
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(input);
        }

        var output = new byte[5000];
        Assert.Equal(OperationStatus.Done, CompressionCodecs.Gzip.Decompress(stream.ToArray(), output, out _));
        Assert.Equal(input, output);
    }

    [Fact]
    public void Zstd_ConcatenatedFrames_DecompressAsOneStream()
    {
        var first = Compress(CompressionCodecs.Zstd, [1, 2, 3]);
        var second = Compress(CompressionCodecs.Zstd, [4, 5]);
        var output = new byte[10];
        Assert.Equal(OperationStatus.Done, CompressionCodecs.Zstd.Decompress([.. first, .. second], output, out var written));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, output[..written]);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Decompress_OfEmptyOrTruncatedInput_NeverThrows(CompressionType type)
    {
        var codec = CompressionCodecs.Get(type)!;
        var compressed = Compress(codec, Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray());
        var output = new byte[4000];
        for (var length = 0; length < compressed.Length; length++)
        {
            var status = codec.Decompress(compressed.AsSpan(0, length), output, out var written);
            Assert.True(status is OperationStatus.InvalidData or OperationStatus.Done, $"{type} length {length}: {status}");
            Assert.InRange(written, 0, output.Length);
        }
    }

    [Fact]
    public void Get_OfNoneAndUnknownValues_IsNull()
    {
        Assert.Null(CompressionCodecs.Get(CompressionType.None));
        Assert.Null(CompressionCodecs.Get((CompressionType)7));
        Assert.All(TestBatches.AllCodecs.Skip(1), t => Assert.Equal(t, CompressionCodecs.Get(t)!.Type));
    }

    /// <summary>Rewrites one of our frames (FLG 0x60, no content size) to declare a content size.</summary>
    private static byte[] WithContentSize(byte[] frame, long contentSize)
    {
        var descriptor = new byte[10];
        descriptor[0] = 0x68;
        descriptor[1] = 0x40;
        BitConverter.TryWriteBytes(descriptor.AsSpan(2), contentSize);
        var checksum = (byte)(K4os.Hash.xxHash.XXH32.DigestOf(descriptor) >> 8);
        return [.. frame.AsSpan(0, 4), .. descriptor, checksum, .. frame.AsSpan(7)];
    }

    private static byte[] Compress(ICompressionCodec codec, byte[] input)
    {
        var output = new ArrayBufferWriter<byte>();
        codec.Compress(input, output);
        return output.WrittenSpan.ToArray();
    }
}
