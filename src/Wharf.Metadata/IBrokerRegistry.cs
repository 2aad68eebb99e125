using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// A live registration (<see cref="BrokerRegistration"/>: node id, the id of this run of the process — a restart gets
/// a new one —, endpoints and rack) with its broker epoch: a number that grows each time the broker (re-)registers, so a later
/// session of the same broker always has a higher epoch (Kafka's broker epoch). Immutable.
/// </summary>
public sealed record RegisteredBroker(BrokerRegistration Registration, long BrokerEpoch)
{
    public int BrokerId => Registration.NodeId;
}

/// <summary>Where this broker's own session with the registry stands.</summary>
public enum BrokerSessionState
{
    /// <summary>Not registered yet, or unregistered on purpose.</summary>
    Unregistered,

    /// <summary>Registered, and the session (lease) was renewed within the session timeout.</summary>
    Registered,

    /// <summary>
    /// The session could not be renewed within the session timeout, or it expired: the cluster may already have
    /// fenced this broker and moved its partitions. The broker must stop acting as a leader (and as controller) until
    /// the session is <see cref="Registered"/> again and it has caught up with the metadata committed since.
    /// </summary>
    Lost,
}

/// <summary>This broker's session: its state and, while registered, its broker epoch (0 otherwise). Immutable.</summary>
public sealed record BrokerSession(BrokerSessionState State, long BrokerEpoch)
{
    public static BrokerSession Unregistered { get; } = new(BrokerSessionState.Unregistered, 0);
}

/// <summary>Another live broker already holds this node id (a second process started with the same <c>node.id</c>).</summary>
public sealed class DuplicateBrokerRegistrationException(int brokerId, Guid liveIncarnationId)
    : Exception($"Broker {brokerId} is already registered by a live process (incarnation {liveIncarnationId}); " +
        "a second broker with the same node.id is refused. If that process was just stopped, its session ends within broker.session.timeout.ms.")
{
    public int BrokerId { get; } = brokerId;

    public Guid LiveIncarnationId { get; } = liveIncarnationId;
}

/// <summary>
/// Broker registration and service discovery (design §6): each broker keeps one registration alive through a
/// session (in etcd, a lease with <c>broker.session.timeout.ms</c> TTL renewed every <c>broker.heartbeat.interval.ms</c>);
/// every node sees the set of live registrations. The single-node implementation is <see cref="LocalBrokerRegistry"/>;
/// <see cref="InMemoryBrokerRegistry"/> serves simulations; the etcd one lives in <c>Wharf.Metadata.Etcd</c>.
/// <para>
/// Contracts: at most one live registration per broker id — <see cref="RegisterAsync"/> refuses a second live
/// process with <see cref="DuplicateBrokerRegistrationException"/>, while the same process (same incarnation id) may
/// register again. A session that cannot be renewed in time turns <see cref="BrokerSessionState.Lost"/> no later than
/// the store could expire it, so another broker is never told to lead while this one still believes it may; the
/// implementation then keeps trying to register again with the same registration, and on success the session is
/// <see cref="BrokerSessionState.Registered"/> with a higher broker epoch.
/// </para>
/// Thread-safety: members may be called from any thread. Events are raised one at a time per instance, in the order
/// of the changes, possibly on a background thread: handlers must be quick and must not block on this registry.
/// </summary>
public interface IBrokerRegistry : IAsyncDisposable
{
    /// <summary>The live registrations as this node currently knows them, by broker id.</summary>
    ImmutableSortedDictionary<int, RegisteredBroker> LiveBrokers { get; }

    /// <summary>Raised with the previous and the new <see cref="LiveBrokers"/> each time the set changes.</summary>
    event Action<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>>? LiveBrokersChanged;

    /// <summary>This broker's own session.</summary>
    BrokerSession Session { get; }

    /// <summary>Raised with the new <see cref="Session"/> each time it changes (registered, lost, registered again).</summary>
    event Action<BrokerSession>? SessionChanged;

    /// <summary>
    /// Registers this broker (replacing an earlier registration of this process, e.g. with the ports it bound) and
    /// returns its broker epoch; from then on the session is kept alive until <see cref="UnregisterAsync"/> or disposal.
    /// </summary>
    /// <exception cref="DuplicateBrokerRegistrationException">another live process holds <see cref="BrokerRegistration.NodeId"/>.</exception>
    /// <exception cref="TimeoutException">the store could not be reached in time; nothing may be assumed registered.</exception>
    ValueTask<long> RegisterAsync(BrokerRegistration registration, CancellationToken cancellationToken);

    /// <summary>Ends the session and removes the registration at once (controlled shutdown), without waiting for expiry.</summary>
    ValueTask UnregisterAsync(CancellationToken cancellationToken);
}
