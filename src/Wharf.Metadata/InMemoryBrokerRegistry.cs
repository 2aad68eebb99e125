using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// One broker process's <see cref="IBrokerRegistry"/> over an <see cref="InMemoryMetadataStore"/>, for simulations.
/// Sessions never expire by themselves: the test expires one with <see cref="InMemoryMetadataStore.ExpireSession"/>
/// (the session turns <see cref="BrokerSessionState.Lost"/>) and ends the outage with
/// <see cref="InMemoryMetadataStore.RestoreSession"/> (this registry registers again, with a higher broker epoch, as
/// the etcd registry's supervisor does on its own).
/// Thread-safety: the store's lock guards all state; events come from the store's ordered queue.
/// </summary>
public sealed class InMemoryBrokerRegistry : IBrokerRegistry
{
    private readonly InMemoryMetadataStore _store;
    private BrokerRegistration? _registration;
    private BrokerSession _session = BrokerSession.Unregistered;

    internal InMemoryBrokerRegistry(InMemoryMetadataStore store, int nodeId)
    {
        _store = store;
        NodeId = nodeId;
    }

    public int NodeId { get; }

    public ImmutableSortedDictionary<int, RegisteredBroker> LiveBrokers => _store.LiveBrokers;

    public BrokerSession Session => Volatile.Read(ref _session);

    public event Action<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>>? LiveBrokersChanged;

    public event Action<BrokerSession>? SessionChanged;

    public ValueTask<long> RegisterAsync(BrokerRegistration registration, CancellationToken cancellationToken)
    {
        if (registration.NodeId != NodeId)
        {
            throw new ArgumentException($"This registry is node {NodeId}'s; it cannot register broker {registration.NodeId}.", nameof(registration));
        }

        return ValueTask.FromResult(_store.Register(this, registration));
    }

    public ValueTask UnregisterAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _registration) is { } registration)
        {
            _store.Unregister(this, registration);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnregisterAsync(CancellationToken.None);

    /// <summary>The store registered this process; called under the store's lock.</summary>
    internal void OnRegisteredLocked(BrokerRegistration registration, long brokerEpoch)
    {
        _registration = registration;
        SetSessionLocked(new BrokerSession(BrokerSessionState.Registered, brokerEpoch));
    }

    internal void OnUnregisteredLocked()
    {
        _registration = null;
        SetSessionLocked(BrokerSession.Unregistered);
    }

    internal void OnSessionLostLocked()
    {
        if (_session.State == BrokerSessionState.Registered)
        {
            SetSessionLocked(new BrokerSession(BrokerSessionState.Lost, 0));
        }
    }

    /// <summary>The node reaches the store again: register again if this process wants to be registered.</summary>
    internal void OnSessionRestoredLocked()
    {
        if (_registration is null || _session.State != BrokerSessionState.Lost)
        {
            return;
        }

        try
        {
            var epoch = _store.RegisterLocked(_registration);
            SetSessionLocked(new BrokerSession(BrokerSessionState.Registered, epoch));
        }
        catch (DuplicateBrokerRegistrationException)
        {
            // Another process took the id while this one was cut off: this one stays Lost (fenced) for good.
        }
    }

    internal void RaiseLiveBrokersChanged(ImmutableSortedDictionary<int, RegisteredBroker> before, ImmutableSortedDictionary<int, RegisteredBroker> after) =>
        LiveBrokersChanged?.Invoke(before, after);

    private void SetSessionLocked(BrokerSession session)
    {
        if (session == _session)
        {
            return;
        }

        Volatile.Write(ref _session, session);
        _store.EnqueueLocked(() => SessionChanged?.Invoke(session));
    }
}
