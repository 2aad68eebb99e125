using System.Buffers;
using System.IO.Compression;

namespace Wharf.Records.Compression;

/// <summary>
/// Codec 1: gzip (RFC 1952), as Java's <c>GZIPOutputStream</c> and librdkafka's zlib write it. Concatenated
/// gzip members are accepted. Thread-safety: stateless.
/// </summary>
internal sealed class GzipCodec : ICompressionCodec
{
    public CompressionType Type => CompressionType.Gzip;

    public unsafe OperationStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (source.IsEmpty)
        {
            return OperationStatus.InvalidData;
        }

        try
        {
            fixed (byte* pointer = source)
            {
                using var input = new UnmanagedMemoryStream(pointer, source.Length);
                using var gzip = new GZipStream(input, CompressionMode.Decompress);
                var total = 0;
                while (total < destination.Length)
                {
                    var read = gzip.Read(destination[total..]);
                    if (read == 0)
                    {
                        bytesWritten = total;
                        return OperationStatus.Done;
                    }

                    total += read;
                }

                // The destination is full: one more byte of output means the bound is exceeded.
                Span<byte> probe = stackalloc byte[1];
                if (gzip.Read(probe) != 0)
                {
                    return OperationStatus.DestinationTooSmall;
                }

                bytesWritten = total;
                return OperationStatus.Done;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return OperationStatus.InvalidData;
        }
    }

    public void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(source);
        }

        // GZipStream writes nothing at all for empty input; readers (ours included) want a member.
        destination.Write(output.Length == 0 ? EmptyMember : output.GetBuffer().AsSpan(0, (int)output.Length));
    }

    /// <summary>A gzip member of no data: header, an empty final stored deflate block, CRC 0, size 0.</summary>
    private static ReadOnlySpan<byte> EmptyMember =>
        [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
}
