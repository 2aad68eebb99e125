using System.Collections.Immutable;
using System.Text.Json;
using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Mvccpb;
using Wharf.Configuration;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// Broker registration on etcd: <c>&lt;prefix&gt;/brokers/&lt;node id&gt;</c> holds this broker's registration (JSON)
/// attached to its session lease, so it vanishes when the broker stops renewing. The broker epoch is the key's mod
/// revision (it grows with every registration). Every node watches the prefix for the set of live brokers.
/// <para>
/// Registering is a transaction: create the key if absent; if present with this process's incarnation id, replace it
/// (compare-and-swap on its mod revision); if present with another incarnation, another live process holds the id
/// and <see cref="DuplicateBrokerRegistrationException"/> is thrown. When the session is lost the state turns
/// <see cref="BrokerSessionState.Lost"/> at once; when a new session is established the registration is written again
/// with the new lease (retried until it succeeds or the registry is disposed).
/// </para>
/// Thread-safety: state changes are made under a lock and their events queued in order for one dispatcher task.
/// Lifecycle: created by <see cref="EtcdMetadataStore"/>; disposal removes nothing (the store revokes the lease).
/// </summary>
public sealed class EtcdBrokerRegistry : IBrokerRegistry
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly EtcdConnection _etcd;
    private readonly EtcdSession _session;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private ImmutableSortedDictionary<int, RegisteredBroker> _live = ImmutableSortedDictionary<int, RegisteredBroker>.Empty;
    private BrokerSession _state = BrokerSession.Unregistered;
    private BrokerRegistration? _registration;
    private Task _background = Task.CompletedTask;

    internal EtcdBrokerRegistry(EtcdConnection etcd, EtcdSession session, ILogger logger)
    {
        _etcd = etcd;
        _session = session;
        _logger = logger;
        _session.Lost += OnSessionLost;
        _session.Established += OnSessionEstablished;
    }

    public ImmutableSortedDictionary<int, RegisteredBroker> LiveBrokers { get { lock (_lock) { return _live; } } }

    public BrokerSession Session { get { lock (_lock) { return _state; } } }

    public event Action<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>>? LiveBrokersChanged;

    public event Action<BrokerSession>? SessionChanged;

    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        var revision = await LoadAsync(cancellationToken).ConfigureAwait(false);
        _background = Task.WhenAll(
            Task.Run(() => WatchAsync(revision, _stop.Token), CancellationToken.None),
            Task.Run(() => DispatchAsync(_stop.Token), CancellationToken.None));
    }

    public async ValueTask<long> RegisterAsync(BrokerRegistration registration, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_etcd.Options.OperationTimeout);
        long lease;
        try
        {
            lease = await _session.WaitForLeaseAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No etcd session within {_etcd.Options.OperationTimeout.TotalSeconds:0} s; broker {registration.NodeId} is not registered.");
        }

        var epoch = await PutAsync(registration, lease, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _registration = registration;
            SetStateLocked(new BrokerSession(BrokerSessionState.Registered, epoch));
        }

        return epoch;
    }

    public async ValueTask UnregisterAsync(CancellationToken cancellationToken)
    {
        BrokerRegistration? registration;
        long epoch;
        lock (_lock)
        {
            registration = _registration;
            epoch = _state.BrokerEpoch;
            _registration = null;
            SetStateLocked(BrokerSession.Unregistered);
        }

        if (registration is null)
        {
            return;
        }

        var key = _etcd.Keys.Broker(registration.NodeId);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, ModRevision = epoch } },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } } },
        };
        await _etcd.CallAsync("broker unregister", o => _etcd.Kv.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _session.Lost -= OnSessionLost;
        _session.Established -= OnSessionEstablished;
        await _stop.CancelAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>Writes the registration with <paramref name="lease"/>; returns the broker epoch.</summary>
    /// <exception cref="DuplicateBrokerRegistrationException">another incarnation holds the key.</exception>
    private async Task<long> PutAsync(BrokerRegistration registration, long lease, CancellationToken cancellationToken)
    {
        var key = _etcd.Keys.Broker(registration.NodeId);
        var value = Encode(registration);
        var put = new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease } };
        var compare = new Compare { Key = key, Target = Compare.Types.CompareTarget.Version, Version = 0 };
        while (true)
        {
            var txn = new TxnRequest { Compare = { compare }, Success = { put }, Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } } };
            var response = await _etcd.CallAsync("broker register", o => _etcd.Kv.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
            if (response.Succeeded)
            {
                return response.Header.Revision;
            }

            var existing = response.Responses[0].ResponseRange.Kvs;
            if (existing.Count == 0)
            {
                compare = new Compare { Key = key, Target = Compare.Types.CompareTarget.Version, Version = 0 };
                continue;
            }

            if (existing[0].Value == value && existing[0].Lease == lease)
            {
                return existing[0].ModRevision;
            }

            var live = Decode(existing[0].Value);
            if (live.IncarnationId != registration.IncarnationId)
            {
                throw new DuplicateBrokerRegistrationException(registration.NodeId, live.IncarnationId);
            }

            compare = new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, ModRevision = existing[0].ModRevision };
        }
    }

    private void OnSessionLost(long lease)
    {
        lock (_lock)
        {
            if (_state.State == BrokerSessionState.Registered)
            {
                SetStateLocked(new BrokerSession(BrokerSessionState.Lost, 0));
            }
        }
    }

    private void OnSessionEstablished(long lease)
    {
        BrokerRegistration? registration;
        lock (_lock)
        {
            registration = _state.State == BrokerSessionState.Lost ? _registration : null;
        }

        if (registration is not null)
        {
            _ = Task.Run(() => ReregisterAsync(registration, lease, _stop.Token), CancellationToken.None);
        }
    }

    /// <summary>After a lost session: registers again with the new lease, retrying until it works or the lease is gone too.</summary>
    private async Task ReregisterAsync(BrokerRegistration registration, long lease, CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stop.IsCancellationRequested && _session.LeaseId == lease)
        {
            try
            {
                var epoch = await PutAsync(registration, lease, stop).ConfigureAwait(false);
                lock (_lock)
                {
                    if (_registration == registration && _session.LeaseId == lease)
                    {
                        SetStateLocked(new BrokerSession(BrokerSessionState.Registered, epoch));
                    }
                }

                _logger.LogInformation("Broker {Node} registered again in etcd at broker epoch {Epoch}", registration.NodeId, epoch);
                return;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Stopping; gRPC reports the cancelled stream as an RpcException (Cancelled), not as a cancellation.
                return;
            }
#pragma warning disable CA1031 // Keep trying: a broker without a registration serves nothing.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogWarning("Registering broker {Node} again failed ({Error}); retrying", registration.NodeId, e.Message);
                try
                {
                    await Task.Delay(backoff, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private async Task<long> LoadAsync(CancellationToken cancellationToken)
    {
        var prefix = _etcd.Keys.BrokersPrefix;
        var response = await _etcd.CallAsync("brokers", o => _etcd.Kv.RangeAsync(new RangeRequest { Key = prefix, RangeEnd = EtcdKeys.RangeEnd(prefix) }, o),
            cancellationToken).ConfigureAwait(false);
        var live = ImmutableSortedDictionary<int, RegisteredBroker>.Empty;
        foreach (var kv in response.Kvs)
        {
            var registration = Decode(kv.Value);
            live = live.SetItem(registration.NodeId, new RegisteredBroker(registration, kv.ModRevision));
        }

        SetLive(_ => live);
        return response.Header.Revision;
    }

    private async Task WatchAsync(long revision, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var prefix = _etcd.Keys.BrokersPrefix;
                await foreach (var item in EtcdWatch.RunAsync(_etcd, prefix, EtcdKeys.RangeEnd(prefix), revision + 1, stop).ConfigureAwait(false))
                {
                    if (item.CompactRevision != 0)
                    {
                        break;
                    }

                    SetLive(live =>
                    {
                        foreach (var e in item.Events)
                        {
                            if (e.Type == Event.Types.EventType.Delete)
                            {
                                live = live.Remove(BrokerIdOf(e.Kv.Key));
                            }
                            else
                            {
                                var registration = Decode(e.Kv.Value);
                                live = live.SetItem(registration.NodeId, new RegisteredBroker(registration, e.Kv.ModRevision));
                            }
                        }

                        return live;
                    });
                    revision = item.Events[^1].Kv.ModRevision;
                }

                revision = await LoadAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Stopping; gRPC reports the cancelled stream as an RpcException (Cancelled), not as a cancellation.
                return;
            }
#pragma warning disable CA1031 // The view of live brokers must outlive any etcd failure; it reloads and watches again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogWarning("Watching broker registrations failed ({Error}); reloading them", e.Message);
                try
                {
                    await Task.Delay(200, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private int BrokerIdOf(ByteString key) =>
        int.Parse(key.Span[_etcd.Keys.BrokersPrefix.Length..], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);

    private void SetLive(Func<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>> change)
    {
        lock (_lock)
        {
            var before = _live;
            var after = change(before);
            if (after.Count == before.Count && after.All(a => before.TryGetValue(a.Key, out var b) && b == a.Value))
            {
                return;
            }

            _live = after;
            _events.Writer.TryWrite(() => LiveBrokersChanged?.Invoke(before, after));
        }
    }

    private void SetStateLocked(BrokerSession state)
    {
        if (state == _state)
        {
            return;
        }

        _state = state;
        _events.Writer.TryWrite(() => SessionChanged?.Invoke(state));
    }

    private async Task DispatchAsync(CancellationToken stop)
    {
        await foreach (var raise in _events.Reader.ReadAllAsync(stop).ConfigureAwait(false))
        {
            try
            {
                raise();
            }
#pragma warning disable CA1031 // A faulty handler must not stop the others from hearing of later changes.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "A broker registry event handler failed");
            }
        }
    }

    internal static ByteString Encode(BrokerRegistration registration) => ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(
        new RegistrationValue(registration.NodeId, registration.IncarnationId,
            [.. registration.Endpoints.Select(e => new EndpointValue(e.Name, e.Host, e.Port))], registration.Rack), Json));

    internal static BrokerRegistration Decode(ByteString value)
    {
        var decoded = JsonSerializer.Deserialize<RegistrationValue>(value.Span, Json)
            ?? throw new InvalidDataException("A broker registration in etcd is null.");
        return new BrokerRegistration(decoded.NodeId, decoded.IncarnationId,
            [.. (decoded.Endpoints ?? []).Select(e => new Listener(e.Name, e.Host, e.Port))], decoded.Rack);
    }

    /// <summary>The registration as stored (JSON, readable with etcdctl).</summary>
    private sealed record RegistrationValue(int NodeId, Guid IncarnationId, EndpointValue[]? Endpoints, string? Rack);

    private sealed record EndpointValue(string Name, string Host, int Port);
}
