using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Wharf.Fault.Tests.Proxy;

/// <summary>
/// A raw socket client for the proxy tests: sends Kafka-shaped request frames (size, api key, version, correlation id,
/// client id, body) or plain bytes, and reads with a deadline. Thread-safety: one test thread.
/// </summary>
internal sealed class TestClient : IDisposable
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    private TestClient()
    {
    }

    public static async Task<TestClient> ConnectAsync(string endpoint)
    {
        var client = new TestClient();
        var colon = endpoint.LastIndexOf(':');
        await client._socket.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return client;
    }

    /// <summary>A request frame as a Kafka client sends it (header v1: the client id is an int16-length string).</summary>
    public static byte[] Frame(short apiKey, int correlationId, string? clientId, int bodyLength = 8)
    {
        var id = clientId is null ? [] : Encoding.UTF8.GetBytes(clientId);
        var frame = new byte[4 + 10 + id.Length + bodyLength];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), 1);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(12), clientId is null ? (short)-1 : (short)id.Length);
        id.CopyTo(frame, 14);
        frame.AsSpan(14 + id.Length).Fill((byte)correlationId);
        return frame;
    }

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes, SocketFlags.None);

    public Task SendFrameAsync(short apiKey, int correlationId, string? clientId) => SendAsync(Frame(apiKey, correlationId, clientId));

    /// <summary>Reads exactly <paramref name="count"/> bytes, or returns null when they do not all come within <paramref name="timeout"/>.</summary>
    public async Task<byte[]?> ReadAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[count];
        var read = 0;
        try
        {
            while (read < count)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
                if (n == 0)
                {
                    throw new EndOfStreamException($"closed after {read} of {count} bytes");
                }

                read += n;
            }

            return buffer;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>What the connection ends with: 0 for a clean end of stream, else the socket error (e.g. a reset); null while open.</summary>
    public async Task<SocketError?> WaitForEndAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
            }

            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Shutdown() => _socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => _socket.Dispose();
}
