using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Wharf.TestKit;

/// <summary>
/// A byte-level TCP proxy on 127.0.0.1 that can cut a process off from a service the way a network partition does,
/// for any protocol (etcd's gRPC, which is HTTP/2 over TCP, as well as Kafka's). Bytes are copied unchanged both ways.
/// <see cref="Blackhole"/> stops every byte in both directions — on open connections and on new ones, which are accepted
/// but get nothing through — without closing anything, so neither side learns of the cut from the socket: only from
/// its own timeouts. <see cref="Heal"/> lets the held bytes and everything after them through again, as a healed
/// partition delivers retransmitted segments (a peer that timed out meanwhile has usually dropped the connection).
/// Thread-safety: one accept loop and two pumps per connection; the gate is swapped atomically.
/// </summary>
public sealed class BlackholeProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly Task _accepting;
    private TaskCompletionSource _open = Opened();

    /// <param name="target"><c>host:port</c> to forward to.</param>
    public BlackholeProxy(string target)
    {
        var colon = target.LastIndexOf(':');
        _targetHost = target[..colon];
        _targetPort = int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary><c>127.0.0.1:port</c>: what the cut-off process dials instead of the target.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public bool IsBlackholed => !Volatile.Read(ref _open).Task.IsCompleted;

    /// <summary>From now on no byte passes in either direction until <see cref="Heal"/>.</summary>
    public void Blackhole()
    {
        var open = Volatile.Read(ref _open);
        if (open.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), open);
        }
    }

    /// <summary>Lets bytes through again, starting with the ones held since <see cref="Blackhole"/>.</summary>
    public void Heal() => Volatile.Read(ref _open).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Heal();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(_connections);
        _stop.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _connections.Add(Task.Run(() => PipeAsync(client)));
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        client.NoDelay = true;
        try
        {
            await WhenOpenAsync(connection.Token);
            await server.ConnectAsync(_targetHost, _targetPort, connection.Token);
            var toServer = CopyAsync(client.GetStream(), server.GetStream(), connection.Token);
            var toClient = CopyAsync(server.GetStream(), client.GetStream(), connection.Token);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            await connection.CancelAsync();
            client.Dispose();
        }
    }

    /// <summary>Copies until either side closes; each chunk waits at the gate, so a blackhole holds it (and, once the socket buffers fill, the sender).</summary>
    private async Task CopyAsync(NetworkStream from, NetworkStream to, CancellationToken cancellation)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, cancellation);
            if (read == 0)
            {
                return;
            }

            await WhenOpenAsync(cancellation);
            await to.WriteAsync(buffer.AsMemory(0, read), cancellation);
        }
    }

    private Task WhenOpenAsync(CancellationToken cancellation) => Volatile.Read(ref _open).Task.WaitAsync(cancellation);
}
