using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Wharf.Integration.Tests;

/// <summary>What the proxy does to a connection when it picks a request to fault.</summary>
public enum ProxyFault
{
    /// <summary>Forward the request, then reset both sockets at once: the broker may or may not have handled it.</summary>
    ResetAfterRequest,

    /// <summary>Forward the request, wait for its response, drop it and reset both sockets: the broker handled it.</summary>
    ResetInsteadOfResponse,
}

/// <summary>
/// A TCP proxy on 127.0.0.1 between Kafka clients and one broker that resets connections right after forwarding
/// chosen requests, so responses are lost and the client retries batches the broker may already have appended.
/// Faults are bounded: at most <see cref="MaxFaults"/>, only before <see cref="FaultUntil"/>, and only for requests
/// whose API key passes <see cref="Select"/> (with probability <see cref="Probability"/>, seeded). The broker must
/// advertise the proxy's port (<c>advertised.listeners</c>) so clients never bypass it.
/// Thread-safety: one accept loop and two pumps per connection; counters are atomic.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _accepting;
    private int _faults;
    private int _droppedResponses;

    public FaultInjectingProxy(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Seed { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary><c>host:port</c> of the broker; set before the first client connects.</summary>
    public string Target { get; set; } = "";

    /// <summary>Which requests may be faulted, by API key (default: Produce only).</summary>
    public Func<short, bool> Select { get; set; } = apiKey => apiKey == 0;

    public double Probability { get; set; } = 0.05;

    public int MaxFaults { get; set; } = 20;

    /// <summary>
    /// The n-th selected request (1-based) is faulted whatever the dice say, so a run with few requests — large batches
    /// on a loaded machine — still injects at least one fault; 0: none forced.
    /// </summary>
    public int AlwaysFaultSelected { get; set; }

    public DateTime FaultUntil { get; set; } = DateTime.UtcNow.AddSeconds(30);

    /// <summary>Connections reset so far.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Responses the broker sent that the client never saw.</summary>
    public int DroppedResponses => Volatile.Read(ref _droppedResponses);

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

        await Task.WhenAll(_connections);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _connections.Add(Task.Run(() => PipeAsync(client)));
        }
    }

    private int _selected; // guarded by _randomLock

    private ProxyFault? Decide(short apiKey)
    {
        if (!Select(apiKey) || DateTime.UtcNow > FaultUntil || Faults >= MaxFaults)
        {
            return null;
        }

        lock (_randomLock)
        {
            var selected = ++_selected;
            if (selected != AlwaysFaultSelected && _random.NextDouble() >= Probability)
            {
                return null;
            }

            if (Interlocked.Increment(ref _faults) > MaxFaults)
            {
                return null;
            }

            return _random.Next(2) == 0 ? ProxyFault.ResetAfterRequest : ProxyFault.ResetInsteadOfResponse;
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            var colon = Target.LastIndexOf(':');
            await server.ConnectAsync(Target[..colon], int.Parse(Target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), connection.Token);
            var dropCorrelationIds = new ConcurrentDictionary<int, byte>();
            var toServer = RequestsAsync(client.GetStream(), server.GetStream(), dropCorrelationIds, connection.Token);
            var toClient = ResponsesAsync(server.GetStream(), client.GetStream(), dropCorrelationIds, connection.Token);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Reset(client);
            Reset(server);
            await connection.CancelAsync();
        }
    }

    /// <summary>Client → broker, frame by frame; returns (ending the connection) after forwarding a request faulted with reset-after-request.</summary>
    private async Task RequestsAsync(NetworkStream from, NetworkStream to, ConcurrentDictionary<int, byte> drop, CancellationToken cancellation)
    {
        var size = new byte[4];
        while (true)
        {
            await from.ReadExactlyAsync(size, cancellation);
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            await from.ReadExactlyAsync(frame, cancellation);
            var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
            var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            var fault = Decide(apiKey);
            if (fault == ProxyFault.ResetInsteadOfResponse)
            {
                drop[correlationId] = 0;
            }

            await to.WriteAsync(size, cancellation);
            await to.WriteAsync(frame, cancellation);
            await to.FlushAsync(cancellation);
            if (fault == ProxyFault.ResetAfterRequest)
            {
                return;
            }
        }
    }

    /// <summary>Broker → client, frame by frame; returns (ending the connection) instead of forwarding a dropped response.</summary>
    private async Task ResponsesAsync(NetworkStream from, NetworkStream to, ConcurrentDictionary<int, byte> drop, CancellationToken cancellation)
    {
        var size = new byte[4];
        while (true)
        {
            await from.ReadExactlyAsync(size, cancellation);
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            await from.ReadExactlyAsync(frame, cancellation);
            if (drop.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out _))
            {
                Interlocked.Increment(ref _droppedResponses);
                return;
            }

            await to.WriteAsync(size, cancellation);
            await to.WriteAsync(frame, cancellation);
        }
    }

    /// <summary>Closes with RST (linger 0), as a crashed peer or a middlebox would.</summary>
    private static void Reset(TcpClient socket)
    {
        try
        {
            socket.Client.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
