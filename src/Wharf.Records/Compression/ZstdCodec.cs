using System.Buffers;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Wharf.Records.Compression;

/// <summary>
/// Codec 4: zstd (RFC 8878) frames, one or more concatenated. Decoding is one-shot into the caller's bounded
/// buffer through a per-thread decompression context (so no window buffer and no exception on bad input);
/// encoding uses level 3, librdkafka's and Kafka's default.
/// Thread-safety: each thread has its own context.
/// </summary>
internal sealed unsafe class ZstdCodec : ICompressionCodec
{
    private const int Level = 3;

    [ThreadStatic]
    private static DecompressionContext? t_context;

    public CompressionType Type => CompressionType.Zstd;

    public OperationStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (source.IsEmpty)
        {
            return OperationStatus.InvalidData;
        }

        var context = t_context ??= new DecompressionContext();
        nuint result;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = Methods.ZSTD_decompressDCtx(context.Handle, dst, (nuint)destination.Length, src, (nuint)source.Length);
        }

        if (Methods.ZSTD_isError(result))
        {
            return Methods.ZSTD_getErrorCode(result) == ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall
                ? OperationStatus.DestinationTooSmall
                : OperationStatus.InvalidData;
        }

        bytesWritten = (int)result;
        return OperationStatus.Done;
    }

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var compressor = new Compressor(Level);
        var span = destination.GetSpan(Compressor.GetCompressBound(source.Length));
        destination.Advance(compressor.Wrap(source, span));
    }

    /// <summary>Owns one native-style ZSTD_DCtx; freed by the finalizer when its thread is gone.</summary>
    private sealed class DecompressionContext
    {
        public DecompressionContext() => Handle = Methods.ZSTD_createDCtx();

        ~DecompressionContext() => Methods.ZSTD_freeDCtx(Handle);

        public ZSTD_DCtx_s* Handle { get; }
    }
}
