using System.Buffers;
using System.Buffers.Binary;

namespace Wharf.Network;

/// <summary>
/// Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes. The size is
/// checked as soon as its 4 bytes arrive, so an oversized or negative frame is refused before any of its
/// body is buffered. Thread-safety: stateless.
/// </summary>
public static class FrameReader
{
    public enum Result
    {
        /// <summary>A whole frame was read.</summary>
        Frame,

        /// <summary>More bytes are needed.</summary>
        Incomplete,

        /// <summary>The size is negative or over the limit; the connection must close.</summary>
        InvalidSize,
    }

    /// <summary>Tries to take one frame off the front of <paramref name="buffer"/>.</summary>
    public static Result TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> frame, out int size)
    {
        frame = default;
        size = 0;
        if (buffer.Length < 4)
        {
            return Result.Incomplete;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < 0 || size > maxFrameBytes)
        {
            return Result.InvalidSize;
        }

        if (buffer.Length < 4L + size)
        {
            return Result.Incomplete;
        }

        frame = buffer.Slice(4, size);
        buffer = buffer.Slice(4L + size);
        return Result.Frame;
    }
}
