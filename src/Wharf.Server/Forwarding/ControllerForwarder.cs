using Microsoft.Extensions.Logging;
using Wharf.Metadata;
using Wharf.Protocol;

namespace Wharf.Server.Forwarding;

/// <summary>
/// Sends admin requests that reach a broker which is not the active controller on to the controller, as Kafka brokers
/// forward to KRaft, so clients may send them to any broker: the request is re-sent at the client's version over a
/// connection to the controller's advertised endpoint (the one of this listener's name, else the first) and its
/// response is returned as this broker's. While no controller is known, or this node is it, nothing is forwarded and
/// the local handler answers (NOT_CONTROLLER while an election is under way: clients retry). A failed forward closes
/// the connection and is retried once on a new one; a second failure is the caller's <see cref="IOException"/>.
/// Thread-safety: safe from any thread; one connection at a time, replaced when the controller changes.
/// </summary>
public sealed class ControllerForwarder(Controller controller, string listenerName, ILogger<ControllerForwarder> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private (int ControllerId, Guid Incarnation, BrokerConnection Connection)? _current;

    /// <summary>True when another node is the active controller: requests should go there.</summary>
    public bool ShouldForward => !controller.IsActive && controller.Leadership is { HasController: true } leadership
        && leadership.ControllerId != controller.Config.NodeId && controller.Current.Brokers.ContainsKey(leadership.ControllerId);

    /// <summary>Forwards <paramref name="request"/> at <paramref name="version"/> to the active controller.</summary>
    /// <exception cref="IOException">the controller could not be reached twice in a row.</exception>
    public async Task<TResponse> ForwardAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IRequestMessage, IApiMessage<TRequest>
        where TResponse : IApiMessage<TResponse>
    {
        for (var attempt = 1; ; attempt++)
        {
            var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await connection.SendAsync<TRequest, TResponse>(request, version, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException && attempt < 2)
            {
                logger.LogInformation("Forwarding {Api} to the controller failed ({Message}); reconnecting", TRequest.Api, e.Message);
                await DropAsync(connection).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Logs that <paramref name="api"/> could not be forwarded and is answered locally (NOT_CONTROLLER).</summary>
    public void ReportUnreachable(ApiKey api, Exception error) =>
        logger.LogWarning("Forwarding {Api} to the controller (node {Controller}) failed twice ({Message}); answering NOT_CONTROLLER so the client retries",
            api, controller.Leadership.ControllerId, error.Message);

    private async Task<BrokerConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var controllerId = controller.Leadership.ControllerId;
            var registration = controller.Current.Brokers.GetValueOrDefault(controllerId)
                ?? throw new IOException($"The controller (node {controllerId}) has no registered endpoint yet.");
            if (_current is { } current && current.ControllerId == controllerId && current.Incarnation == registration.IncarnationId)
            {
                return current.Connection;
            }

            if (_current is { } stale)
            {
                await stale.Connection.DisposeAsync().ConfigureAwait(false);
                _current = null;
            }

            var endpoint = registration.Endpoints.FirstOrDefault(e => e.Name == listenerName) ?? registration.Endpoints.First();
            var connection = await BrokerConnection.ConnectAsync(endpoint.Host, endpoint.Port, $"wharf-broker-{controller.Config.NodeId}", cancellationToken).ConfigureAwait(false);
            _current = (controllerId, registration.IncarnationId, connection);
            return connection;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private async Task DropAsync(BrokerConnection connection)
    {
        await _connecting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_current is { } current && ReferenceEquals(current.Connection, connection))
            {
                _current = null;
            }
        }
        finally
        {
            _connecting.Release();
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_current is { } current)
        {
            await current.Connection.DisposeAsync().ConfigureAwait(false);
        }

        _connecting.Dispose();
    }
}
