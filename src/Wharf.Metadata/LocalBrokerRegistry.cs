using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// The single-node <see cref="IBrokerRegistry"/>: the only live broker is this one, its session never expires, and
/// its broker epoch is 1. There is nobody else to collide with, so registration never fails.
/// Thread-safety: a lock guards the state; events are raised on the caller's thread after the lock is released.
/// </summary>
public sealed class LocalBrokerRegistry : IBrokerRegistry
{
    public const long BrokerEpoch = 1;

    private readonly object _lock = new();
    private ImmutableSortedDictionary<int, RegisteredBroker> _live = ImmutableSortedDictionary<int, RegisteredBroker>.Empty;
    private BrokerSession _session = BrokerSession.Unregistered;

    public ImmutableSortedDictionary<int, RegisteredBroker> LiveBrokers { get { lock (_lock) { return _live; } } }

    public BrokerSession Session { get { lock (_lock) { return _session; } } }

    public event Action<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>>? LiveBrokersChanged;

    public event Action<BrokerSession>? SessionChanged;

    public ValueTask<long> RegisterAsync(BrokerRegistration registration, CancellationToken cancellationToken)
    {
        ImmutableSortedDictionary<int, RegisteredBroker> before, after;
        BrokerSession session;
        lock (_lock)
        {
            before = _live;
            after = _live = ImmutableSortedDictionary<int, RegisteredBroker>.Empty.Add(registration.NodeId, new RegisteredBroker(registration, BrokerEpoch));
            session = _session = new BrokerSession(BrokerSessionState.Registered, BrokerEpoch);
        }

        LiveBrokersChanged?.Invoke(before, after);
        SessionChanged?.Invoke(session);
        return ValueTask.FromResult(BrokerEpoch);
    }

    public ValueTask UnregisterAsync(CancellationToken cancellationToken)
    {
        ImmutableSortedDictionary<int, RegisteredBroker> before;
        lock (_lock)
        {
            before = _live;
            _live = ImmutableSortedDictionary<int, RegisteredBroker>.Empty;
            _session = BrokerSession.Unregistered;
        }

        LiveBrokersChanged?.Invoke(before, ImmutableSortedDictionary<int, RegisteredBroker>.Empty);
        SessionChanged?.Invoke(BrokerSession.Unregistered);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
