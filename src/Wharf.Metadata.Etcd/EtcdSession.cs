using System.Diagnostics;
using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// One of this node's sessions with etcd: a lease renewed by a supervised keep-alive loop. A node holds two: the
/// broker session (TTL <c>broker.session.timeout.ms</c>, renewed every <c>broker.heartbeat.interval.ms</c>) that its
/// registration is attached to, and the controller session (TTL <c>controller.session.timeout.ms</c>, renewed four
/// times per TTL) that its election key is attached to, so a dead controller is replaced quickly while a broker's
/// registration tolerates Kafka's longer session timeout.
/// <para>
/// The supervisor restarts the keep-alive stream after any failure (a member killed mid-stream ends it with an
/// exception, which the client library's own loop would not survive). The session is declared lost — and
/// <see cref="Lost"/> raised — when no renewal succeeded for a whole TTL counted from the moment the last
/// successful renewal was <em>sent</em>: etcd counts its expiry from when it received that renewal (or later, after an
/// etcd leader change), so this node gives up its roles no later than etcd could hand them to another. Also when etcd
/// answers that the lease is gone. After a loss the supervisor grants a new lease and raises <see cref="Established"/>.
/// </para>
/// Invariant: <see cref="LeaseId"/> is 0 while no lease is held; a lease declared lost is never used again (it is
/// revoked, best effort, so its keys go at once).
/// Thread-safety: state changes happen on the supervisor's loop; <see cref="LeaseId"/> is read from any thread.
/// Events are raised on the supervisor's loop, one at a time; handlers must be quick.
/// Lifecycle: <see cref="StartAsync"/> grants the first lease; <see cref="DisposeAsync"/> stops the loops and
/// revokes the lease.
/// </summary>
internal sealed class EtcdSession : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private long _leaseId;
    private long _lastRenewalSentTicks; // Stopwatch timestamp
    private TaskCompletionSource _lostSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _supervisor = Task.CompletedTask;
    private Task _watchdog = Task.CompletedTask;
    private int _keepAliveRestarts;

    private readonly string _name;
    private readonly long _ttlSeconds;
    private readonly TimeSpan _heartbeat;

    /// <param name="etcd">The connection.</param>
    /// <param name="name">What the session is for, in log lines ("broker", "controller").</param>
    /// <param name="ttlSeconds">The lease TTL in whole seconds (etcd may raise it to its minimum).</param>
    /// <param name="heartbeat">How often the lease is renewed.</param>
    public EtcdSession(EtcdConnection etcd, string name, long ttlSeconds, TimeSpan heartbeat)
    {
        _etcd = etcd;
        _logger = etcd.Logger;
        _name = name;
        _ttlSeconds = ttlSeconds;
        _heartbeat = heartbeat;
    }

    /// <summary>The current lease, or 0 while none is held (after a loss, until a new one is granted).</summary>
    public long LeaseId => Interlocked.Read(ref _leaseId);

    /// <summary>How often the keep-alive stream failed and was restarted (for tests and metrics).</summary>
    public int KeepAliveRestarts => Volatile.Read(ref _keepAliveRestarts);

    /// <summary>Raised with the lost lease id when the session is lost.</summary>
    public event Action<long>? Lost;

    /// <summary>Raised with the new lease id when a session is established (first, and after each loss).</summary>
    public event Action<long>? Established;

    /// <summary>
    /// Tests only: while set, this node sends no lease traffic at all (no keep-alive, no grant, no revoke), as if cut
    /// off from etcd; its lease then expires in etcd and the watchdog declares the session lost.
    /// </summary>
    internal volatile bool CutOffForTests;

    private TimeSpan Ttl => TimeSpan.FromSeconds(_ttlSeconds);

    /// <summary>Grants the first lease and starts the supervisor.</summary>
    /// <exception cref="TimeoutException">etcd could not be reached within the operation timeout.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await GrantAsync(cancellationToken).ConfigureAwait(false);
        _supervisor = Task.Run(() => SuperviseAsync(_stop.Token), CancellationToken.None);
        _watchdog = Task.Run(() => WatchdogAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>A task that completes when the current session is lost (already completed while there is none).</summary>
    public Task WhenLost()
    {
        lock (_lock)
        {
            return _lostSignal.Task;
        }
    }

    /// <summary>Waits for a session and returns its lease id.</summary>
    public async Task<long> WaitForLeaseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var lease = LeaseId;
            if (lease != 0)
            {
                return lease;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_supervisor, _watchdog).ConfigureAwait(false);
        var lease = Interlocked.Exchange(ref _leaseId, 0);
        if (lease != 0)
        {
            await RevokeAsync(lease).ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task GrantAsync(CancellationToken cancellationToken)
    {
        var sent = Stopwatch.GetTimestamp();
        var response = await _etcd.CallAsync("lease grant",
            o => _etcd.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = _ttlSeconds }, o), cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            Interlocked.Exchange(ref _lastRenewalSentTicks, sent);
            Interlocked.Exchange(ref _leaseId, response.ID);
            _lostSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _logger.LogInformation("etcd {Session} session established: lease {Lease:x} with TTL {Ttl} s", _name, response.ID, response.TTL);
        Established?.Invoke(response.ID);
    }

    /// <summary>Keeps a lease alive; restarts the stream on any failure; grants a new lease after a loss.</summary>
    private async Task SuperviseAsync(CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (CutOffForTests)
                {
                    await Task.Delay(_heartbeat, stop).ConfigureAwait(false);
                    continue;
                }

                if (LeaseId == 0)
                {
                    await GrantAsync(stop).ConfigureAwait(false);
                }

                await KeepAliveAsync(LeaseId, stop).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The supervisor's job is to survive every failure of the stream it supervises.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _keepAliveRestarts);
                _logger.LogWarning("etcd keep-alive of lease {Lease:x} failed ({Error}); restarting it", LeaseId, e.Message);
                try
                {
                    await Task.Delay(backoff, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
            }
        }
    }

    /// <summary>One keep-alive stream: returns when the lease is gone (after marking it lost); throws when the stream fails.</summary>
    private async Task KeepAliveAsync(long lease, CancellationToken stop)
    {
        using var call = _etcd.Lease.LeaseKeepAlive(cancellationToken: stop);
        var timeout = _etcd.Options.RequestTimeout;
        while (!stop.IsCancellationRequested && LeaseId == lease && !CutOffForTests)
        {
            var sent = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, stop).WaitAsync(timeout, stop).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(stop).WaitAsync(timeout, stop).ConfigureAwait(false))
            {
                throw new IOException("etcd closed the keep-alive stream");
            }

            if (call.ResponseStream.Current.TTL <= 0)
            {
                MarkLost(lease, "etcd says the lease expired");
                return;
            }

            Interlocked.Exchange(ref _lastRenewalSentTicks, sent);
            var next = _heartbeat - Stopwatch.GetElapsedTime(sent);
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Declares the session lost once 90% of the TTL has passed since the last successful renewal was sent.</summary>
    private async Task WatchdogAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var lease = LeaseId;
            var wait = (Ttl * 0.9) - Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRenewalSentTicks));
            if (lease != 0 && wait <= TimeSpan.Zero)
            {
                MarkLost(lease, $"no renewal succeeded for 90% of the {Ttl.TotalSeconds:0} s TTL");
                continue;
            }

            try
            {
                await Task.Delay(lease == 0 ? TimeSpan.FromMilliseconds(100) : wait + TimeSpan.FromMilliseconds(1), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void MarkLost(long lease, string reason)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (Interlocked.CompareExchange(ref _leaseId, 0, lease) != lease)
            {
                return;
            }

            signal = _lostSignal;
        }

        _logger.LogError("etcd {Session} session lost: lease {Lease:x} ({Reason}); this node gives up what the session held until it has a new one", _name, lease, reason);
        signal.TrySetResult();
        Lost?.Invoke(lease);
        if (!CutOffForTests)
        {
            _ = RevokeAsync(lease);
        }
    }

    private async Task RevokeAsync(long lease)
    {
        try
        {
            await _etcd.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: _etcd.Deadline()).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            _logger.LogDebug("Revoking etcd lease {Lease:x} failed ({Status}); it expires by itself", lease, e.StatusCode);
        }
    }
}
