using System.Net;
using System.Net.Sockets;

namespace Wharf.Network;

/// <summary>How the broker's Kafka listener binds: dual-stack on <c>[::]</c>, rebindable during TIME_WAIT.</summary>
public static class ListeningSocket
{
    /// <summary>A TCP socket bound to <paramref name="endPoint"/> and listening.</summary>
    /// <exception cref="SocketException">The address cannot be bound (e.g. the port is in use).</exception>
    public static Socket Open(IPEndPoint endPoint, int backlog)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            AllowRebindDuringTimeWait(socket);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// SO_REUSEADDR only, so a restarted broker can bind while its old connections sit in TIME_WAIT. .NET's
    /// <see cref="SocketOptionName.ReuseAddress"/> also sets SO_REUSEPORT on Linux, which lets a second broker bind the same
    /// port and the kernel split connections between the two; on Linux the option is set raw instead.
    /// </summary>
    private static void AllowRebindDuringTimeWait(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            const int SolSocket = 1;
            const int SoReuseAddr = 2;
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        }
        else
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }
    }
}
