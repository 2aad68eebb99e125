using System.Net;
using System.Net.Sockets;

namespace Wharf.Network.Tests;

/// <summary>Client-side socket helpers. <see cref="Timeout"/> only turns a hang into a failure; nothing waits on it.</summary>
internal static class Loopback
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(Timeout);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends every byte (one send call from the caller's point of view).</summary>
    public static async Task SendAllAsync(this Socket socket, ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None).AsTask().WaitAsync(Timeout);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads one size-prefixed frame (without its prefix); null when the peer closed first.</summary>
    public static async Task<byte[]?> ReadFrameAsync(this Socket socket)
    {
        var prefix = new byte[4];
        if (!await socket.ReceiveExactlyAsync(prefix))
        {
            return null;
        }

        var frame = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await socket.ReceiveExactlyAsync(frame) ? frame : null;
    }

    /// <summary>
    /// Reads until the peer closes the connection (a receive returns 0 or fails with a reset) and returns how many
    /// bytes came before; a <see cref="TimeoutException"/> when the peer keeps it open.
    /// </summary>
    public static async Task<int> ReceiveUntilClosedAsync(this Socket socket)
    {
        var buffer = new byte[4096];
        var total = 0;
        try
        {
            int received;
            while ((received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Timeout)) > 0)
            {
                total += received;
            }
        }
        catch (SocketException)
        {
        }

        return total;
    }

    private static async Task<bool> ReceiveExactlyAsync(this Socket socket, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None).AsTask().WaitAsync(Timeout);
            if (received == 0)
            {
                return false;
            }

            buffer = buffer[received..];
        }

        return true;
    }
}
