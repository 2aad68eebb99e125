using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Server.Forwarding;

/// <summary>
/// The broker's connections to the other brokers for transactions and retention, one <see cref="BrokerConnectionPool"/>
/// per kind of traffic so that a burst of one never delays another: <see cref="Markers"/> (WriteTxnMarkers from this
/// broker's transaction coordinator), <see cref="Verification"/> (AddPartitionsToTxn verify-only from its produce path,
/// which a producer waits on) <see cref="GroupProgress"/> (OffsetFetch to the coordinators of the groups listed in
/// <c>retention.consumed.groups</c>) and <see cref="Shares"/> (share-state reads and writes, dead letters). Endpoints come from the current metadata image, on the listener clients use (the first).
/// Lifecycle: owned by the broker, disposed after the coordinators stop. Thread-safety: as the pools.
/// </summary>
public sealed class InterBrokerConnections(Controller controller, BrokerConfig config) : IAsyncDisposable
{
    public BrokerConnectionPool Markers { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-markers");

    public BrokerConnectionPool Verification { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-verification");

    /// <summary>Share groups: share-state reads and writes to share coordinators, dead letters to their topics' leaders.</summary>
    public BrokerConnectionPool Shares { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-shares");

    public BrokerConnectionPool GroupProgress { get; } = new(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-group-progress");

    public async ValueTask DisposeAsync()
    {
        await Markers.DisposeAsync().ConfigureAwait(false);
        await Shares.DisposeAsync().ConfigureAwait(false);
        await Verification.DisposeAsync().ConfigureAwait(false);
        await GroupProgress.DisposeAsync().ConfigureAwait(false);
    }
}
