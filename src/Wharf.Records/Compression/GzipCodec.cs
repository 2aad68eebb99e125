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

        destination.Write(output.GetBuffer().AsSpan(0, (int)output.Length));
    }
}
