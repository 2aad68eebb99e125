using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Wharf.Network;

/// <summary>
/// One Kafka listener: a TCP socket accepting clients, each served by a <see cref="KafkaConnection"/>.
/// The transport is our own rather than Kestrel's: Kestrel reads a socket in 4 KiB pipe blocks, so a 1 MiB Produce
/// request took ~256 receives plus a pipe hand-off each, and its 1 MiB input pause threshold cannot hold a frame
/// larger than that; here a large frame is received straight into its own pooled array (docs/benchmarks.md has
/// the before/after figures). Stopping closes every connection instead of waiting for clients to leave.
/// Thread-safety: start and dispose from one thread; connections run on the thread pool.
/// </summary>
public sealed class KafkaListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IRequestProcessor _processor;
    private readonly NetworkOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, Served> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private long _nextConnectionId;
    private int _disposed;

    private KafkaListener(Socket socket, IRequestProcessor processor, NetworkOptions options, ILoggerFactory loggerFactory)
    {
        _socket = socket;
        _processor = processor;
        _options = options;
        _logger = loggerFactory.CreateLogger<KafkaListener>();
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    /// <summary>The bound address (with the real port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections open now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds <paramref name="endPoint"/> and starts accepting.</summary>
    /// <exception cref="SocketException">The address cannot be bound (e.g. the port is in use).</exception>
    public static KafkaListener Start(IPEndPoint endPoint, IRequestProcessor processor, NetworkOptions options, ILoggerFactory loggerFactory)
    {
        var socket = ListeningSocket.Open(endPoint, backlog: 512);
        try
        {
            return new KafkaListener(socket, processor, options, loggerFactory);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting, closes every connection and waits for their loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var served = _connections.Values.ToArray();
        foreach (var entry in served)
        {
            entry.Connection.Close();
        }

        await Task.WhenAll(served.Select(c => c.Running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // E.g. EMFILE: keep serving the connections we have and try again.
                _logger.LogWarning("Accepting a connection on {Listener} failed: {Error}", LocalEndPoint, e.Message);
                continue;
            }

            var id = Interlocked.Increment(ref _nextConnectionId);
            ConnectionInfo info;
            try
            {
                client.NoDelay = true;
                info = new ConnectionInfo($"{_options.ListenerName}-{id}", client.RemoteEndPoint, client.LocalEndPoint, _options.ListenerName);
            }
            catch (SocketException)
            {
                // Reset before we looked at it.
                client.Dispose();
                continue;
            }

            var entry = new Served(new KafkaConnection(client, info, _processor, _options, _logger));
            _connections[id] = entry;
            entry.Running = Serve(id, entry.Connection);
            if (_stopping.IsCancellationRequested)
            {
                entry.Connection.Close();
            }
        }
    }

    private async Task Serve(long id, KafkaConnection connection)
    {
        // Off the accept loop: the connection's first receive may complete synchronously.
        await Task.Yield();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(id, out _);
            connection.Dispose();
        }
    }

    private sealed class Served(KafkaConnection connection)
    {
        public KafkaConnection Connection { get; } = connection;

        public Task Running { get; set; } = Task.CompletedTask;
    }
}
