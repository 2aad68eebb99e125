using System.Net;
using System.Net.Sockets;

namespace Wharf.Network.Tests;

/// <summary>Two ends of one real TCP connection over 127.0.0.1: <see cref="Client"/> sends, <see cref="Server"/> is read.</summary>
internal sealed class SocketPair : IDisposable
{
    private SocketPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static async Task<SocketPair> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accepted = listener.AcceptAsync();
        var client = await Loopback.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        return new SocketPair(client, await accepted.WaitAsync(Loopback.Timeout));
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
