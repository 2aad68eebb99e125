using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Wharf.Network;

/// <summary>
/// Reads Kafka frames (a 4-byte big-endian size, then that many bytes) off a socket into <see cref="RequestFrame"/>s.
/// The size is checked as soon as its 4 bytes arrive, so a negative or oversized frame is refused before any of its
/// body is buffered. Small frames are read through a read-ahead buffer (one receive can bring several requests);
/// the rest of a large frame is received straight into the frame's own array, so its bytes are copied once, by the
/// kernel, in as few receives as the socket allows. An idle connection holds no buffer: when nothing is buffered
/// the receiver waits for data with a zero-byte receive before renting one.
/// Thread-safety: one reader at a time.
/// </summary>
public sealed class FrameReceiver(Socket socket, int maxFrameBytes) : IDisposable
{
    /// <summary>Read-ahead buffer size; a frame remainder at least this large is received directly.</summary>
    public const int ReadAheadBytes = 16 * 1024;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    private int Buffered => _end - _start;

    /// <summary>The next frame, or null when the peer closed the connection (at or inside a frame).</summary>
    /// <exception cref="CloseConnectionException">The size prefix is negative or above the limit.</exception>
    public async ValueTask<RequestFrame?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(4, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var size = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (size < 0 || size > maxFrameBytes)
        {
            throw new CloseConnectionException($"frame size {size} is negative or above socket.request.max.bytes ({maxFrameBytes})");
        }

        Consume(4);
        var frame = new RequestFrame(size);
        try
        {
            while (!frame.IsComplete)
            {
                if (Buffered > 0)
                {
                    Consume(frame.Append(_buffer.AsSpan(_start, Buffered)));
                }
                else if (frame.Size - frame.Length >= ReadAheadBytes)
                {
                    var received = await socket.ReceiveAsync(frame.GetFreeMemory(int.MaxValue), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    if (received == 0)
                    {
                        frame.Dispose();
                        return null;
                    }

                    frame.Advance(received);
                }
                else if (!await FillAsync(1, cancellationToken).ConfigureAwait(false))
                {
                    frame.Dispose();
                    return null;
                }
            }

            return frame;
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    public void Dispose() => ReleaseBuffer();

    /// <summary>Receives until at least <paramref name="count"/> bytes are buffered; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        while (Buffered < count)
        {
            if (Buffered == 0)
            {
                // Hold no memory while idle: wait for readability first.
                ReleaseBuffer();
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                _buffer = ArrayPool<byte>.Shared.Rent(ReadAheadBytes);
            }
            else if (_start > 0)
            {
                _buffer.AsSpan(_start, Buffered).CopyTo(_buffer);
                _end = Buffered;
                _start = 0;
            }

            var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                return false;
            }

            _end += received;
        }

        return true;
    }

    private void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    private void ReleaseBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
