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
/// Lifecycle: listening from construction; <see cref="DisposeAsync"/> stops accepting, resets every open connection and
/// waits for their tasks. Thread-safety: one accept loop; each connection runs on its own tasks; rule changes go through
/// the network and may come from any thread.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<ProxyConnection, Task> _connections = new();
    private readonly Task _accepting;

    private FaultProxy(FaultNetwork network, FaultEndpoint destination, FaultEndpoint? fixedSource, string target)
    {
        Network = network;
        Destination = destination;
        FixedSource = fixedSource;
        var colon = target.LastIndexOf(':');
        TargetHost = target[..colon];
        TargetPort = int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public FaultNetwork Network { get; }

    /// <summary>The node behind this proxy.</summary>
    public FaultEndpoint Destination { get; }

    /// <summary>The source of every connection (plain TCP), or null when it is learnt per connection (Kafka).</summary>
    public FaultEndpoint? FixedSource { get; }

    public string TargetHost { get; }

    public int TargetPort { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

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
        _listener.Stop();
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

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            var connection = new ProxyConnection(socket, this);
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = running.Task;
            _ = RunAsync(connection, running);
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
