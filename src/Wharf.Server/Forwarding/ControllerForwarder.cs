using Microsoft.Extensions.Logging;
using Wharf.Metadata;
using Wharf.Protocol;

namespace Wharf.Server.Forwarding;

/// <summary>
/// Sends admin requests that reach a broker which is not the active controller on to the controller, as Kafka brokers
/// forward to KRaft, so clients may send them to any broker: the request is re-sent at the client's version over a
/// connection to the controller's advertised endpoint (the one of this listener's name, else the first; a
/// <see cref="BrokerConnectionPool"/> of its own) and its response is returned as this broker's. While no controller is
/// known, or this node is it, nothing is forwarded and the local handler answers (NOT_CONTROLLER while an election is
/// under way: clients retry). A failed forward is retried once on a new connection; a second failure is the caller's
/// <see cref="IOException"/>.
/// Thread-safety: safe from any thread.
/// </summary>
public sealed class ControllerForwarder(Controller controller, string listenerName, ILogger<ControllerForwarder> logger) : IAsyncDisposable
{
    private readonly BrokerConnectionPool _connections = new(() => controller.Current, listenerName, $"wharf-broker-{controller.Config.NodeId}");

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
            var controllerId = controller.Leadership.ControllerId;
            try
            {
                return await _connections.SendAsync<TRequest, TResponse>(controllerId, request, version, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (attempt < 2)
            {
                logger.LogInformation("Forwarding {Api} to the controller (node {Controller}) failed ({Message}); reconnecting", TRequest.Api, controllerId, e.Message);
            }
        }
    }

    /// <summary>Logs that <paramref name="api"/> could not be forwarded and is answered locally (NOT_CONTROLLER).</summary>
    public void ReportUnreachable(ApiKey api, Exception error) =>
        logger.LogWarning("Forwarding {Api} to the controller (node {Controller}) failed twice ({Message}); answering NOT_CONTROLLER so the client retries",
            api, controller.Leadership.ControllerId, error.Message);

    public ValueTask DisposeAsync() => _connections.DisposeAsync();
}
