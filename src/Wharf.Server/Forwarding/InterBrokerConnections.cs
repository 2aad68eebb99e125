using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Server.Forwarding;

/// <summary>
/// The broker's connections to the other brokers for transactions and retention, one <see cref="BrokerConnectionPool"/>
/// per kind of traffic so that a burst of one never delays another: <see cref="Markers"/> (WriteTxnMarkers from this
/// broker's transaction coordinator), <see cref="Verification"/> (AddPartitionsToTxn verify-only from its produce path,
/// which a producer waits on) and <see cref="GroupProgress"/> (OffsetFetch to the coordinators of the groups listed in
/// <c>retention.consumed.groups</c>). Endpoints come from the current metadata image, on the listener clients use (the first).
/// Lifecycle: owned by the broker, disposed after the coordinators stop. Thread-safety: as the pools.
/// </summary>
public sealed class InterBrokerConnections(Controller controller, BrokerConfig config) : IAsyncDisposable
{
    public BrokerConnectionPool Markers { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-markers");

    public BrokerConnectionPool Verification { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-verification");

    public BrokerConnectionPool GroupProgress { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-group-progress");

    public async ValueTask DisposeAsync()
    {
        await Markers.DisposeAsync().ConfigureAwait(false);
        await Verification.DisposeAsync().ConfigureAwait(false);
        await GroupProgress.DisposeAsync().ConfigureAwait(false);
    }
}
