namespace Wharf.Records.Compression;

/// <summary>The codec for each <see cref="CompressionType"/>. Thread-safety: immutable.</summary>
public static class CompressionCodecs
{
    public static ICompressionCodec Gzip { get; } = new GzipCodec();

    public static ICompressionCodec Snappy { get; } = new SnappyCodec();

    public static ICompressionCodec Lz4 { get; } = new Lz4FrameCodec();

    public static ICompressionCodec Zstd { get; } = new ZstdCodec();

    /// <summary>The codec for <paramref name="type"/>; null for <see cref="CompressionType.None"/> and unknown values.</summary>
    public static ICompressionCodec? Get(CompressionType type) => type switch
    {
        CompressionType.Gzip => Gzip,
        CompressionType.Snappy => Snappy,
        CompressionType.Lz4 => Lz4,
        CompressionType.Zstd => Zstd,
        _ => null,
    };
}
