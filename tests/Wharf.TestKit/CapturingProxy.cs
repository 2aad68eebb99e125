using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Wharf.TestKit;

/// <summary>
/// A TCP proxy on 127.0.0.1 that forwards a client to the broker and keeps every request frame the client
/// sends (without its size prefix). Used to get real clients' request bytes for golden tests.
/// </summary>
public sealed class CapturingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public CapturingProxy()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where connections are forwarded (<c>host:port</c>); set before the first client connects.</summary>
    public string Target { get; set; } = "";

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<byte[]> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => PipeAsync(client));
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        var colon = Target.LastIndexOf(':');
        await server.ConnectAsync(Target[..colon], int.Parse(Target[(colon + 1)..]));
        using (client)
        {
            var toServer = CopyFramesAsync(client.GetStream(), server.GetStream());
            var toClient = client.GetStream() is var c ? server.GetStream().CopyToAsync(c, _stop.Token) : Task.CompletedTask;
            await Task.WhenAny(toServer, toClient);
        }
    }

    private async Task CopyFramesAsync(NetworkStream from, NetworkStream to)
    {
        var size = new byte[4];
        while (!_stop.IsCancellationRequested)
        {
            await from.ReadExactlyAsync(size, _stop.Token);
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            await from.ReadExactlyAsync(frame, _stop.Token);
            Requests.Enqueue(frame);
            await to.WriteAsync(size, _stop.Token);
            await to.WriteAsync(frame, _stop.Token);
        }
    }
}
