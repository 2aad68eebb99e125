using System.Collections.Immutable;

namespace Wharf.Metadata;

/// <summary>
/// The shared state behind <see cref="InMemoryMetadataLog"/> and <see cref="InMemoryBrokerRegistry"/> for tests and
/// seeded simulations of several nodes: one metadata log, one controller election and one set of broker sessions,
/// playing the part etcd plays in a real cluster. Each node opens its own view with <see cref="OpenLog"/> and
/// <see cref="OpenRegistry"/>; the test drives what a real store decides by itself: <see cref="ElectController"/>,
/// <see cref="DeposeController"/>, <see cref="ExpireSession"/> (a lease expiry, the node stays cut off) and
/// <see cref="RestoreSession"/> (the node reaches the store again and re-registers). Nothing here reads a clock, so a
/// simulation in virtual time decides when a session expires.
/// <para>
/// Invariants: offsets are contiguous from 0; an append succeeds only at the epoch of the current controller (and
/// never while there is none); every election raises the epoch by one; at most one live registration per broker id;
/// every (re-)registration gets a broker epoch higher than any before. Candidates are elected first come, first
/// served, skipping nodes whose session is expired (as etcd elects the oldest live election key).
/// </para>
/// Thread-safety: one lock guards all state. Events of every view are queued under the lock and raised after it is
/// released, one at a time and in order across all callers; a handler may call back into the store (its own events
/// are raised after it returns).
/// </summary>
public sealed class InMemoryMetadataStore
{
    private readonly object _lock = new();
    private readonly List<MetadataBatch> _batches = [];
    private readonly List<Candidate> _candidates = [];
    private readonly HashSet<int> _expired = [];
    private readonly List<InMemoryMetadataLog> _logs = [];
    private readonly List<InMemoryBrokerRegistry> _registries = [];
    private readonly Queue<Action> _pending = new();
    private bool _draining;
    private long _committed = -1;
    private long _brokerEpoch;
    private MetadataSnapshot? _snapshot;
    private ImmutableSortedDictionary<int, RegisteredBroker> _live = ImmutableSortedDictionary<int, RegisteredBroker>.Empty;
    private MetadataLeadership _leadership;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>A store whose controller is <paramref name="leadership"/> (by default none, at epoch 0).</summary>
    public InMemoryMetadataStore(MetadataLeadership? leadership = null)
    {
        _leadership = leadership ?? new MetadataLeadership(MetadataLeadership.NoController, 0);
    }

    public MetadataLeadership Leadership { get { lock (_lock) { return _leadership; } } }

    public long CommittedOffset { get { lock (_lock) { return _committed; } } }

    public MetadataSnapshot? LatestSnapshot { get { lock (_lock) { return _snapshot; } } }

    /// <summary>The batches still in the log (those a snapshot covers are dropped), in offset order.</summary>
    public IReadOnlyList<MetadataBatch> Batches { get { lock (_lock) { return _batches.ToArray(); } } }

    /// <summary>The live registrations, by broker id.</summary>
    public ImmutableSortedDictionary<int, RegisteredBroker> LiveBrokers { get { lock (_lock) { return _live; } } }

    /// <summary>When set, the next append fails with an <see cref="IOException"/> and leaves nothing behind.</summary>
    public bool FailNextAppend { get; set; }

    /// <summary>A view of the log for node <paramref name="nodeId"/> (the node it campaigns for and appends as).</summary>
    public InMemoryMetadataLog OpenLog(int nodeId)
    {
        var log = new InMemoryMetadataLog(this, nodeId);
        lock (_lock)
        {
            _logs.Add(log);
        }

        return log;
    }

    /// <summary>A registry for the broker process running as node <paramref name="nodeId"/>.</summary>
    public InMemoryBrokerRegistry OpenRegistry(int nodeId)
    {
        var registry = new InMemoryBrokerRegistry(this, nodeId);
        lock (_lock)
        {
            _registries.Add(registry);
        }

        return registry;
    }

    /// <summary>Makes <paramref name="nodeId"/> the controller at once, at the next epoch (a waiting campaign of it completes).</summary>
    public MetadataLeadership ElectController(int nodeId)
    {
        lock (_lock)
        {
            SetLeadershipLocked(new MetadataLeadership(nodeId, _leadership.Epoch + 1));
            var candidate = _candidates.FirstOrDefault(c => c.NodeId == nodeId);
            if (candidate is not null)
            {
                _candidates.Remove(candidate);
                var elected = _leadership;
                _pending.Enqueue(() => candidate.Elected.TrySetResult(elected));
            }
        }

        Drain();
        return Leadership;
    }

    /// <summary>The controller loses its leadership (as if its election key vanished); the next live candidate is elected.</summary>
    public void DeposeController()
    {
        lock (_lock)
        {
            if (_leadership.HasController)
            {
                SetLeadershipLocked(_leadership with { ControllerId = MetadataLeadership.NoController });
            }

            ElectNextLocked();
        }

        Drain();
    }

    /// <summary>
    /// Node <paramref name="nodeId"/>'s session expires and it stays cut off from the store: its registration goes,
    /// its registry reports <see cref="BrokerSessionState.Lost"/>, it loses the controller role, and it cannot register
    /// or be elected until <see cref="RestoreSession"/>.
    /// </summary>
    public void ExpireSession(int nodeId)
    {
        lock (_lock)
        {
            _expired.Add(nodeId);
            RemoveLiveLocked(nodeId);
            foreach (var registry in _registries.Where(r => r.NodeId == nodeId))
            {
                registry.OnSessionLostLocked();
            }

            if (_leadership.ControllerId == nodeId)
            {
                SetLeadershipLocked(_leadership with { ControllerId = MetadataLeadership.NoController });
                ElectNextLocked();
            }
        }

        Drain();
    }

    /// <summary>Node <paramref name="nodeId"/> reaches the store again: its registry registers again with a new broker epoch.</summary>
    public void RestoreSession(int nodeId)
    {
        lock (_lock)
        {
            _expired.Remove(nodeId);
            foreach (var registry in _registries.Where(r => r.NodeId == nodeId))
            {
                registry.OnSessionRestoredLocked();
            }

            ElectNextLocked();
        }

        Drain();
    }

    /// <summary>True while <paramref name="nodeId"/>'s session is expired by <see cref="ExpireSession"/>.</summary>
    public bool IsExpired(int nodeId)
    {
        lock (_lock)
        {
            return _expired.Contains(nodeId);
        }
    }

    internal void SetLeadership(MetadataLeadership leadership)
    {
        lock (_lock)
        {
            SetLeadershipLocked(leadership);
        }

        Drain();
    }

    internal long Append(IReadOnlyList<MetadataRecord> records, int controllerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        lock (_lock)
        {
            if (!_leadership.HasController || controllerEpoch != _leadership.Epoch)
            {
                throw new NotControllerException(
                    $"Controller epoch {controllerEpoch} is fenced; the current leadership is node {_leadership.ControllerId} at epoch {_leadership.Epoch}.");
            }

            if (FailNextAppend)
            {
                FailNextAppend = false;
                throw new IOException("Injected metadata log failure.");
            }

            var batch = new MetadataBatch(_committed + 1, controllerEpoch, records.ToArray());
            _batches.Add(batch);
            _committed = batch.LastOffset;
            SignalLocked();
            return _committed;
        }
    }

    /// <summary>
    /// The batches after <paramref name="afterOffset"/> committed now, and a task completed at the next change.
    /// </summary>
    /// <exception cref="MetadataSnapshotRequiredException">records after <paramref name="afterOffset"/> were dropped by a snapshot.</exception>
    internal (List<MetadataBatch> Batches, Task Changed) Read(long afterOffset)
    {
        lock (_lock)
        {
            var snapshotOffset = _snapshot?.Offset ?? -1;
            if (afterOffset < snapshotOffset)
            {
                throw new MetadataSnapshotRequiredException(afterOffset, snapshotOffset);
            }

            return (_batches.Where(b => b.LastOffset > afterOffset).ToList(), _changed.Task);
        }
    }

    internal void WriteSnapshot(MetadataSnapshot snapshot)
    {
        lock (_lock)
        {
            if (snapshot.Offset > _committed)
            {
                throw new ArgumentException($"Snapshot offset {snapshot.Offset} is beyond the committed offset {_committed}.", nameof(snapshot));
            }

            if (_batches.Any(b => b.BaseOffset <= snapshot.Offset && b.LastOffset > snapshot.Offset))
            {
                throw new ArgumentException($"Snapshot offset {snapshot.Offset} is inside a batch.", nameof(snapshot));
            }

            _snapshot = snapshot;
            _batches.RemoveAll(b => b.LastOffset <= snapshot.Offset);
            SignalLocked();
        }
    }

    internal async ValueTask<MetadataLeadership> CampaignAsync(int nodeId, CancellationToken cancellationToken)
    {
        Candidate candidate;
        lock (_lock)
        {
            if (_leadership.ControllerId == nodeId)
            {
                return _leadership;
            }

            candidate = _candidates.FirstOrDefault(c => c.NodeId == nodeId) ?? new Candidate(nodeId);
            if (!_candidates.Contains(candidate))
            {
                _candidates.Add(candidate);
            }

            ElectNextLocked();
        }

        Drain();
        try
        {
            return await candidate.Elected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _candidates.Remove(candidate);
            }

            // Elected just as the campaign was cancelled: a cancelled campaign leaves this node no candidate at all.
            await ResignAsync(nodeId).ConfigureAwait(false);
            throw;
        }
    }

    internal ValueTask ResignAsync(int nodeId)
    {
        lock (_lock)
        {
            if (_leadership.ControllerId == nodeId)
            {
                SetLeadershipLocked(_leadership with { ControllerId = MetadataLeadership.NoController });
                ElectNextLocked();
            }
        }

        Drain();
        return ValueTask.CompletedTask;
    }

    /// <exception cref="DuplicateBrokerRegistrationException">another incarnation holds the id.</exception>
    /// <exception cref="TimeoutException">the node is cut off (<see cref="ExpireSession"/>).</exception>
    internal long Register(InMemoryBrokerRegistry registry, BrokerRegistration registration)
    {
        long epoch;
        lock (_lock)
        {
            if (_expired.Contains(registration.NodeId))
            {
                throw new TimeoutException($"Node {registration.NodeId} cannot reach the metadata store (its session is expired).");
            }

            epoch = RegisterLocked(registration);
            registry.OnRegisteredLocked(registration, epoch);
        }

        Drain();
        return epoch;
    }

    /// <summary>Registers with a new broker epoch; the caller holds the lock and drains afterwards.</summary>
    /// <exception cref="DuplicateBrokerRegistrationException">another incarnation holds the id.</exception>
    internal long RegisterLocked(BrokerRegistration registration)
    {
        if (_live.TryGetValue(registration.NodeId, out var live) && live.Registration.IncarnationId != registration.IncarnationId)
        {
            throw new DuplicateBrokerRegistrationException(registration.NodeId, live.Registration.IncarnationId);
        }

        var before = _live;
        var registered = new RegisteredBroker(registration, ++_brokerEpoch);
        _live = _live.SetItem(registration.NodeId, registered);
        PublishLiveLocked(before);
        return registered.BrokerEpoch;
    }

    internal void Unregister(InMemoryBrokerRegistry registry, BrokerRegistration registration)
    {
        lock (_lock)
        {
            registry.OnUnregisteredLocked();
            if (_live.TryGetValue(registration.NodeId, out var live) && live.Registration.IncarnationId == registration.IncarnationId)
            {
                RemoveLiveLocked(registration.NodeId);
            }
        }

        Drain();
    }

    internal void EnqueueLocked(Action notification) => _pending.Enqueue(notification);

    /// <summary>Raises queued events in order; a caller that finds another caller draining leaves the queue to it.</summary>
    internal void Drain()
    {
        lock (_lock)
        {
            if (_draining)
            {
                return;
            }

            _draining = true;
        }

        while (true)
        {
            Action notification;
            lock (_lock)
            {
                if (!_pending.TryDequeue(out notification!))
                {
                    _draining = false;
                    return;
                }
            }

            try
            {
                notification();
            }
            catch
            {
                lock (_lock)
                {
                    _draining = false;
                }

                throw;
            }
        }
    }

    private void RemoveLiveLocked(int brokerId)
    {
        if (_live.ContainsKey(brokerId))
        {
            var before = _live;
            _live = _live.Remove(brokerId);
            PublishLiveLocked(before);
        }
    }

    private void PublishLiveLocked(ImmutableSortedDictionary<int, RegisteredBroker> before)
    {
        var after = _live;
        foreach (var registry in _registries)
        {
            _pending.Enqueue(() => registry.RaiseLiveBrokersChanged(before, after));
        }
    }

    private void SetLeadershipLocked(MetadataLeadership leadership)
    {
        if (leadership == _leadership)
        {
            return;
        }

        _leadership = leadership;
        foreach (var log in _logs)
        {
            _pending.Enqueue(() => log.RaiseLeadershipChanged(leadership));
        }
    }

    private void ElectNextLocked()
    {
        if (_leadership.HasController)
        {
            return;
        }

        var next = _candidates.FirstOrDefault(c => !_expired.Contains(c.NodeId));
        if (next is null)
        {
            return;
        }

        _candidates.Remove(next);
        var elected = new MetadataLeadership(next.NodeId, _leadership.Epoch + 1);
        SetLeadershipLocked(elected);

        // Completed from the event queue, outside the lock and after the leadership events, so every view has heard of
        // the new controller before its campaign returns.
        _pending.Enqueue(() => next.Elected.TrySetResult(elected));
    }

    private void SignalLocked()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Candidate(int nodeId)
    {
        public int NodeId { get; } = nodeId;

        public TaskCompletionSource<MetadataLeadership> Elected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
