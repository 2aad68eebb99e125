using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Wharf.Fault.Tests.Proxy;

/// <summary>
/// A TCP server on 127.0.0.1 that echoes every byte back on the connection it came from and closes its side when the
/// peer does; it counts connections accepted and closed so a test can see what reached it and that nothing leaked.
/// Thread-safety: one accept loop and one task per connection; the counters are atomic.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;
    private int _accepted;
    private int _closed;

    /// <param name="port">The port to listen on; 0 for any free one.</param>
    public EchoServer(int port = 0)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    public int Closed => Volatile.Read(ref _closed);

    /// <summary>Closes every accepted connection from the server side.</summary>
    public void CloseAll()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }

        await Task.WhenAll(_connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            _sockets.Add(socket);
            _connections.Add(Task.Run(() => EchoAsync(socket)));
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
            Interlocked.Increment(ref _closed);
        }
    }
}
