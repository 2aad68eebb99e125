using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wharf.Metadata;

/// <summary>
/// A cluster node's metadata duties, over the <see cref="IMetadataLog"/> and <see cref="IBrokerRegistry"/> ports:
/// <list type="number">
/// <item><b>Follow</b>: every committed batch, whoever wrote it, is applied to this node's <see cref="Controller"/>
/// in offset order (its image is what the broker serves from). A node that fell behind a compaction reloads the
/// latest snapshot and follows on from it. Failures are retried with a backoff; nothing is skipped.</item>
/// <item><b>Campaign</b>: the node runs for controller; when elected it waits until its image holds everything
/// committed (a new controller must not validate against a stale image), then activates its controller at the new
/// epoch. While active it keeps broker liveness in the metadata in step with service discovery: a live registration
/// the image lacks (or holds fenced, or with another incarnation) is accepted; an unfenced broker in the image with no
/// live registration of that incarnation is fenced (its leaderships move). When another node is elected the
/// controller falls silent (its appends are fenced by the store anyway) and the node campaigns again.</item>
/// </list>
/// A registration reported dead (<see cref="ReportDead"/>: its broker's port refused a connection, so the process is
/// gone although its session has not expired yet) counts as not live from then on, so a killed broker's leaderships
/// move at once instead of after <c>broker.session.timeout.ms</c>; its session then expires on its own.
/// Thread-safety: <see cref="Start"/> once; the loops run on the thread pool and signal each other through events;
/// <see cref="DisposeAsync"/> stops both and waits for them.
/// </summary>
public sealed class ControllerService : IAsyncDisposable
{
    private readonly Controller _controller;
    private readonly IMetadataLog _log;
    private readonly IBrokerRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _rebalanceToPreferred;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _changed = new(0);
    private readonly ConcurrentDictionary<(int BrokerId, Guid IncarnationId), bool> _dead = new();
    private Task _follow = Task.CompletedTask;
    private Task _campaign = Task.CompletedTask;

    public ControllerService(Controller controller, IMetadataLog log, IBrokerRegistry registry, TimeProvider? time = null, ILogger? logger = null, bool rebalanceToPreferred = true)
    {
        _controller = controller;
        _log = log;
        _registry = registry;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _rebalanceToPreferred = rebalanceToPreferred;
    }

    /// <summary>Starts following and campaigning.</summary>
    public void Start()
    {
        _log.LeadershipChanged += OnChange;
        _registry.LiveBrokersChanged += OnLiveBrokersChanged;
        _controller.ImageChanged += OnImageChanged;
        _follow = Task.Run(() => FollowAsync(_stopping.Token));
        _campaign = Task.Run(() => CampaignAsync(_stopping.Token));
    }

    /// <summary>
    /// Reports that registration <paramref name="incarnationId"/> of broker <paramref name="brokerId"/> is dead (nothing
    /// listens on its port any more): the active controller fences it at once. Safe from any thread; repeated reports
    /// are ignored.
    /// </summary>
    public void ReportDead(int brokerId, Guid incarnationId)
    {
        if (_dead.TryAdd((brokerId, incarnationId), true))
        {
            _logger.LogWarning("Broker {Broker} (incarnation {Incarnation}) refuses connections: its process is gone; fencing it without waiting for its session to expire",
                brokerId, incarnationId);
            _changed.Release();
        }
    }

    /// <summary>Completes once this node's image holds offset <paramref name="offset"/>.</summary>
    public Task WaitForOffsetAsync(long offset, CancellationToken cancellationToken) =>
        _controller.WaitForImageAsync(image => image.Offset >= offset, cancellationToken);

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var batch in _log.FollowAsync(_controller.Current.Offset, cancellationToken).ConfigureAwait(false))
                {
                    _controller.ApplyCommitted(batch);
                    backoff = TimeSpan.FromMilliseconds(100);
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: whatever the store threw (gRPC reports a cancelled call as its own exception) ends the loop.
                return;
            }
            catch (MetadataSnapshotRequiredException e)
            {
                _logger.LogWarning("{Message} Reloading node metadata from the snapshot.", e.Message);
                if (await _log.ReadLatestSnapshotAsync(cancellationToken).ConfigureAwait(false) is { } snapshot)
                {
                    _controller.ResetTo(MetadataLoader.ImageOf(snapshot, _controller.Current));
                }
            }
#pragma warning disable CA1031 // The follow loop must survive anything and retry; it logs what failed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "Following the metadata log failed at offset {Offset}; retrying in {Backoff}", _controller.Current.Offset, backoff);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task CampaignAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var leadership = await _log.CampaignAsync(cancellationToken).ConfigureAwait(false);
                await WaitForOffsetAsync(_log.CommittedOffset, cancellationToken).ConfigureAwait(false);
                _controller.Activate(leadership);
                while (_controller.IsActive)
                {
                    await ReconcileBrokersAsync(cancellationToken).ConfigureAwait(false);
                    await _changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                _logger.LogInformation("Node {Node} is no longer the controller; the controller is node {Controller} at epoch {Epoch}",
                    _controller.Config.NodeId, _log.Leadership.ControllerId, _log.Leadership.Epoch);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: whatever the store threw (gRPC reports a cancelled call as its own exception) ends the loop.
                return;
            }
#pragma warning disable CA1031 // The campaign must go on whatever failed; it logs what.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "Controller duties of node {Node} failed; campaigning again", _controller.Config.NodeId);
                await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One pass: fence brokers whose sessions ended, then accept the live registrations the image lacks.</summary>
    private async Task ReconcileBrokersAsync(CancellationToken cancellationToken)
    {
        var live = _registry.LiveBrokers;
        foreach (var gone in _dead.Keys.Where(k => !live.TryGetValue(k.BrokerId, out var r) || r.Registration.IncarnationId != k.IncarnationId))
        {
            _dead.TryRemove(gone, out _);
        }

        foreach (var broker in _controller.Current.Brokers.Values.Where(b => !b.Fenced && !IsLive(live, b)))
        {
            await _controller.FenceBrokerAsync(broker.NodeId, broker.IncarnationId, cancellationToken).ConfigureAwait(false);
        }

        foreach (var registered in live.Values.Where(r => !_dead.ContainsKey((r.BrokerId, r.Registration.IncarnationId))))
        {
            var image = _controller.Current;
            if (!image.Brokers.TryGetValue(registered.BrokerId, out var known) || !known.Equals(registered.Registration with { Fenced = false }))
            {
                await _controller.AcceptRegistrationAsync(registered.Registration, _rebalanceToPreferred, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private bool IsLive(ImmutableSortedDictionary<int, RegisteredBroker> live, BrokerRegistration broker) =>
        live.TryGetValue(broker.NodeId, out var registered) && registered.Registration.IncarnationId == broker.IncarnationId
        && !_dead.ContainsKey((broker.NodeId, broker.IncarnationId));

    private void OnChange(MetadataLeadership leadership) => _changed.Release();

    private void OnLiveBrokersChanged(ImmutableSortedDictionary<int, RegisteredBroker> before, ImmutableSortedDictionary<int, RegisteredBroker> after) => _changed.Release();

    private void OnImageChanged(MetadataImage before, MetadataImage after)
    {
        if (!before.Brokers.Equals(after.Brokers))
        {
            _changed.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _log.LeadershipChanged -= OnChange;
        _registry.LiveBrokersChanged -= OnLiveBrokersChanged;
        _controller.ImageChanged -= OnImageChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_follow, _campaign).ConfigureAwait(false);
        _stopping.Dispose();
        _changed.Dispose();
    }
}
