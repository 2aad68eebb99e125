using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wharf.Testing.Faults;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of one destination (a broker or an etcd member) that applies a
/// <see cref="FaultNetwork"/>'s rules to every connection it carries.
/// <list type="bullet">
/// <item><see cref="ForKafka"/>: in front of a broker, which advertises the proxy's address so that clients and other
/// brokers both come through it; each connection's source is learnt from the client id of its first request
/// (<see cref="KafkaClientIds"/>).</item>
/// <item><see cref="ForTcp"/>: plain bytes with a fixed source, e.g. one broker's way to one etcd member.</item>
/// </list>
/// While the target refuses connections (its process is dead) the proxy stops listening, so a client is refused just
/// as it would be without the proxy (Wharf's controller fences a broker whose port refuses); it checks the target every
/// <see cref="TargetCheckInterval"/> and listens again on the same port once the target accepts.
/// Lifecycle: listening from construction; <see cref="DisposeAsync"/> stops accepting, resets every open connection and
/// waits for their tasks. Thread-safety: one accept loop; each connection runs on its own tasks; the listener is
/// swapped under a lock; rule changes go through the network and may come from any thread.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly TimeSpan TargetCheckInterval = TimeSpan.FromMilliseconds(50);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<ProxyConnection, Task> _connections = new();
    private readonly Task _accepting;
    private TcpListener _listener = new(IPAddress.Loopback, 0);
    private bool _targetDown;

    private FaultProxy(FaultNetwork network, FaultEndpoint destination, FaultEndpoint? fixedSource, string target)
    {
        Network = network;
        Destination = destination;
        FixedSource = fixedSource;
        var colon = target.LastIndexOf(':');
        TargetHost = target[..colon];
        TargetPort = int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public FaultNetwork Network { get; }

    /// <summary>The node behind this proxy.</summary>
    public FaultEndpoint Destination { get; }

    /// <summary>The source of every connection (plain TCP), or null when it is learnt per connection (Kafka).</summary>
    public FaultEndpoint? FixedSource { get; }

    public string TargetHost { get; }

    public int TargetPort { get; }

    /// <summary>The proxy's port; it stays the same while the proxy stops and resumes listening.</summary>
    public int Port { get; }

    /// <summary>True while the target refuses connections and the proxy does not listen.</summary>
    public bool IsTargetDown
    {
        get
        {
            lock (_lock)
            {
                return _targetDown;
            }
        }
    }

    /// <summary><c>127.0.0.1:port</c>: the address to dial (or advertise) instead of the target's.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted and not yet closed.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>A Kafka-aware proxy in front of broker <paramref name="nodeId"/> listening at <paramref name="target"/> (<c>host:port</c>).</summary>
    public static FaultProxy ForKafka(FaultNetwork network, int nodeId, string target)
    {
        network.AddBroker(nodeId);
        return new FaultProxy(network, FaultEndpoint.Broker(nodeId), null, target);
    }

    /// <summary>A plain TCP proxy carrying <paramref name="source"/>'s connections to <paramref name="destination"/> at <paramref name="target"/>.</summary>
    public static FaultProxy ForTcp(FaultNetwork network, FaultEndpoint source, FaultEndpoint destination, string target) =>
        new(network, destination, source, target);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _listener.Stop();
        }

        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>A connection found the target refusing: stop listening until it accepts again.</summary>
    internal void OnTargetRefused()
    {
        lock (_lock)
        {
            if (_targetDown || _stop.IsCancellationRequested)
            {
                return;
            }

            _targetDown = true;
            _listener.Stop();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpListener listener;
            lock (_lock)
            {
                listener = _listener;
            }

            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException && IsTargetDown && !_stop.IsCancellationRequested)
            {
                await ListenWhenTargetAcceptsAsync().ConfigureAwait(false);
                continue;
            }

            var connection = new ProxyConnection(socket, this);
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = running.Task;
            _ = RunAsync(connection, running);
        }
    }

    private async Task ListenWhenTargetAcceptsAsync()
    {
        while (true)
        {
            using (var probe = new Socket(SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    await probe.ConnectAsync(TargetHost, TargetPort, _stop.Token).ConfigureAwait(false);
                    break;
                }
                catch (SocketException)
                {
                }
            }

            // Polling a port that has nothing to signal with: the interval is the proxy's resolution, not a wait for state.
            await Task.Delay(TargetCheckInterval, _stop.Token).ConfigureAwait(false);
        }

        lock (_lock)
        {
            _stop.Token.ThrowIfCancellationRequested();
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Start();
            _targetDown = false;
        }
    }

    private async Task RunAsync(ProxyConnection connection, TaskCompletionSource running)
    {
        try
        {
            await Task.Yield();
            await connection.RunAsync(_stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            running.SetResult();
        }
    }
}
