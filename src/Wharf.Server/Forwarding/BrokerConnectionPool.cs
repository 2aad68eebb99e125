using System.Collections.Concurrent;
using System.Net.Sockets;
using Wharf.Metadata;
using Wharf.Protocol;

namespace Wharf.Server.Forwarding;

/// <summary>
/// Connections from this broker to the other brokers of the cluster, for one kind of inter-broker traffic (forwarding to
/// the controller, transaction markers, transaction verification): each kind owns a pool, as Kafka gives each its own
/// channel, so one never queues behind another. A request goes to a node id; the pool finds its endpoint in the
/// current metadata image (the endpoint of this listener's name, else the first) and sends it over an idle connection
/// to that broker, or a new one while fewer than <see cref="MaxConnectionsPerBroker"/> are in use (beyond that the
/// caller waits for one). A connection is reused only for the broker incarnation it was opened to and while the peer
/// has not closed it; one that failed, timed out or was cancelled mid-request is closed.
/// <para>
/// Errors: every failure to reach a broker or to read its answer — not registered, refused, reset, closed, garbled,
/// no answer within <see cref="RequestTimeout"/> — is an <see cref="IOException"/>; the caller decides whether to retry.
/// </para>
/// Thread-safety: safe from any thread. Lifecycle: <see cref="DisposeAsync"/> closes idle connections; a request in
/// flight then closes its own when it ends.
/// </summary>
public sealed class BrokerConnectionPool(Func<MetadataImage> image, string listenerName, string clientId) : IAsyncDisposable
{
    /// <summary>Connections open to one broker at most, in use or idle.</summary>
    public const int MaxConnectionsPerBroker = 4;

    private readonly ConcurrentDictionary<int, Broker> _brokers = new();
    private volatile bool _disposed;

    /// <summary>How long a connection attempt may take; Kafka's <c>socket.connection.setup.timeout.ms</c> default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a broker may take to answer; Kafka's <c>request.timeout.ms</c> default.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> to broker <paramref name="nodeId"/> and returns its answer.</summary>
    /// <exception cref="IOException">the broker could not be reached or did not answer (see the class).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(int nodeId, TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IRequestMessage, IApiMessage<TRequest>
        where TResponse : IApiMessage<TResponse>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var registration = image().Brokers.GetValueOrDefault(nodeId)
            ?? throw new IOException($"Broker {nodeId} is not registered.");
        var endpoint = registration.Endpoints.FirstOrDefault(e => e.Name == listenerName) ?? registration.Endpoints.FirstOrDefault()
            ?? throw new IOException($"Broker {nodeId} has no endpoint.");
        var broker = _brokers.GetOrAdd(nodeId, _ => new Broker());
        await broker.Permits.WaitAsync(cancellationToken).ConfigureAwait(false);
        BrokerConnection? connection = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            connection = broker.TakeIdle(registration.IncarnationId);
            if (connection is null)
            {
                timeout.CancelAfter(ConnectTimeout);
                connection = await BrokerConnection.ConnectAsync(endpoint.Host, endpoint.Port, clientId, timeout.Token).ConfigureAwait(false);
            }

            timeout.CancelAfter(RequestTimeout);
            var response = await connection.SendAsync<TRequest, TResponse>(request, version, timeout.Token).ConfigureAwait(false);
            if (broker.ReturnIdle(registration.IncarnationId, connection))
            {
                connection = null;
            }

            return response;
        }
        catch (SocketException e)
        {
            throw new IOException($"Broker {nodeId} at {endpoint.Host}:{endpoint.Port} could not be reached: {e.Message}", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"Broker {nodeId} at {endpoint.Host}:{endpoint.Port} did not answer {TRequest.Api} in time.");
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            broker.Permits.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var broker in _brokers.Values)
        {
            foreach (var connection in broker.DrainIdle())
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One broker's idle connections (by the incarnation they were opened to) and the permits for its connections.</summary>
    private sealed class Broker
    {
        private readonly Lock _lock = new();
        private readonly Stack<(Guid Incarnation, BrokerConnection Connection)> _idle = new();
        private bool _closed;

        public SemaphoreSlim Permits { get; } = new(MaxConnectionsPerBroker, MaxConnectionsPerBroker);

        /// <summary>An open idle connection to <paramref name="incarnation"/>; ones to an older incarnation, or that the peer closed, are closed.</summary>
        public BrokerConnection? TakeIdle(Guid incarnation)
        {
            List<BrokerConnection>? stale = null;
            BrokerConnection? found = null;
            lock (_lock)
            {
                while (found is null && _idle.TryPop(out var idle))
                {
                    if (idle.Incarnation == incarnation && idle.Connection.IsOpen)
                    {
                        found = idle.Connection;
                    }
                    else
                    {
                        (stale ??= []).Add(idle.Connection);
                    }
                }
            }

            foreach (var connection in stale ?? [])
            {
                _ = connection.DisposeAsync();
            }

            return found;
        }

        /// <summary>Keeps <paramref name="connection"/> for the next request; false once the pool is closed (the caller closes it).</summary>
        public bool ReturnIdle(Guid incarnation, BrokerConnection connection)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return false;
                }

                _idle.Push((incarnation, connection));
                return true;
            }
        }

        /// <summary>Closes the broker's pool: returns the idle connections; later ones are not kept.</summary>
        public List<BrokerConnection> DrainIdle()
        {
            lock (_lock)
            {
                _closed = true;
                var all = _idle.Select(i => i.Connection).ToList();
                _idle.Clear();
                return all;
            }
        }
    }
}
