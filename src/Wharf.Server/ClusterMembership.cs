using Microsoft.Extensions.Logging;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Replication;

namespace Wharf.Server;

/// <summary>
/// This broker's membership of a multi-node cluster (design §6): the <see cref="ControllerService"/> (follow the
/// shared metadata log, campaign for controller), the broker's registration in service discovery, self-fencing when
/// its session is lost, and controlled shutdown.
/// <para>
/// Self-fencing: when the registry reports the session <see cref="BrokerSessionState.Lost"/>, the controller may
/// already have fenced this broker and moved its partitions, so it stops leading at once
/// (<see cref="ReplicaManager.SuspendLeadership"/>). When the session is registered again it resumes only after its
/// image holds everything committed as of that moment and names it live — then the image is the truth about what it
/// leads. A session change that arrives meanwhile cancels the pending resume (a generation counter under
/// <c>_gate</c>, which also serialises suspend and resume).
/// </para>
/// <para>
/// Controlled shutdown (<see cref="DisposeAsync"/>, before the listener closes): unregister, so the controller fences
/// this broker and moves its leaderships now instead of after the session timeout; wait (bounded) until this broker's
/// image shows it fenced, so clients asking it for metadata are already sent elsewhere; then stop leading, stop the
/// controller duties and resign the controller role.
/// </para>
/// Thread-safety: events arrive on the registry's thread one at a time; the rest is guarded by <c>_gate</c>.
/// </summary>
public sealed class ClusterMembership : IAsyncDisposable
{
    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DuplicateGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DuplicateRetry = TimeSpan.FromMilliseconds(500);

    private readonly ClusterMetadata _cluster;
    private readonly Controller _controller;
    private readonly ReplicaManager _replicas;
    private readonly ControllerService _service;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Guid _incarnationId = Guid.NewGuid();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _generation;
    private bool _registered;
    private BrokerLivenessProbe? _probe;

    private ClusterMembership(ClusterMetadata cluster, Controller controller, ReplicaManager replicas, ControllerService service, TimeProvider time, ILogger logger)
    {
        _time = time;
        _cluster = cluster;
        _controller = controller;
        _replicas = replicas;
        _service = service;
        _logger = logger;
    }

    /// <summary>Starts following the metadata and campaigning for controller; <see cref="RegisterAsync"/> once the listener is bound.</summary>
    public static ClusterMembership Start(ClusterMetadata cluster, Controller controller, ReplicaManager replicas, BrokerConfig config, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var service = new ControllerService(controller, cluster.Log, cluster.Registry, time, loggerFactory.CreateLogger<ControllerService>(), config.AutoLeaderRebalanceEnable);
        var membership = new ClusterMembership(cluster, controller, replicas, service, time, loggerFactory.CreateLogger<ClusterMembership>());
        cluster.Registry.SessionChanged += membership.OnSessionChanged;
        service.Start();
        membership._probe = new BrokerLivenessProbe(controller, service, config.Listeners[0].Name, time, loggerFactory.CreateLogger<BrokerLivenessProbe>());
        return membership;
    }

    /// <summary>
    /// Registers this broker at <paramref name="advertised"/> and waits until the controller has recorded it live (so a
    /// broker reported ready is one clients can be sent to). A registration of this node id by another process is
    /// waited out for one session timeout — a broker restarted after kill -9 finds its previous run's registration
    /// until that session expires, as a KRaft broker does — and refused after that: then another live process holds it.
    /// </summary>
    /// <exception cref="DuplicateBrokerRegistrationException">another live broker has this node id.</exception>
    public async Task RegisterAsync(Listener advertised, string? rack, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        var nodeId = _controller.Config.NodeId;
        var registration = new BrokerRegistration(nodeId, _incarnationId, [advertised], rack);
        var giveUpAt = _time.GetUtcNow() + _controller.Config.BrokerSessionTimeout + DuplicateGrace;
        long epoch;
        var waiting = false;
        while (true)
        {
            try
            {
                epoch = await _cluster.Registry.RegisterAsync(registration, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _registered, true);
                break;
            }
            catch (DuplicateBrokerRegistrationException e) when (_time.GetUtcNow() < giveUpAt)
            {
                if (!waiting)
                {
                    waiting = true;
                    _logger.LogInformation("Node id {Node} is still registered by incarnation {Incarnation}; waiting for that session to end (until {GiveUp:HH:mm:ss})",
                        nodeId, e.LiveIncarnationId, giveUpAt);
                }

                await Task.Delay(DuplicateRetry, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(readyTimeout);
        try
        {
            await _controller.WaitForImageAsync(image => IsRecordedLive(image, nodeId), wait.Token).ConfigureAwait(false);
            ResumeIfCurrent(Volatile.Read(ref _generation));
            _logger.LogInformation("Broker {Node} registered (broker epoch {Epoch}); controller is node {Controller}", nodeId, epoch, _controller.Leadership.ControllerId);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Broker {Node} registered, but no controller recorded it within {Timeout}; it serves once one does", nodeId, readyTimeout);
        }
    }

    private bool IsRecordedLive(MetadataImage image, int nodeId) =>
        image.Brokers.TryGetValue(nodeId, out var broker) && !broker.Fenced && broker.IncarnationId == _incarnationId;

    private void OnSessionChanged(BrokerSession session)
    {
        int generation;
        lock (_gate)
        {
            generation = ++_generation;
            if (session.State == BrokerSessionState.Lost)
            {
                _replicas.SuspendLeadership("the session with the coordination service was lost");
                return;
            }
        }

        if (session.State == BrokerSessionState.Registered && _replicas.IsLeadershipSuspended)
        {
            _ = ResumeWhenCaughtUpAsync(generation);
        }
    }

    private async Task ResumeWhenCaughtUpAsync(int generation)
    {
        var committed = _cluster.Log.CommittedOffset;
        var nodeId = _controller.Config.NodeId;
        try
        {
            await _controller.WaitForImageAsync(image => image.Offset >= committed && IsRecordedLive(image, nodeId), _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        ResumeIfCurrent(generation);
    }

    private void ResumeIfCurrent(int generation)
    {
        lock (_gate)
        {
            if (generation == _generation && !_stopping.IsCancellationRequested && _cluster.Registry.Session.State == BrokerSessionState.Registered)
            {
                _replicas.ResumeLeadership();
            }
        }
    }

    /// <summary>Controlled shutdown; see the class summary. Never throws for an unreachable coordination service (it logs).</summary>
    public async ValueTask DisposeAsync()
    {
        _cluster.Registry.SessionChanged -= OnSessionChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_probe is not null)
        {
            await _probe.DisposeAsync().ConfigureAwait(false);
        }

        var nodeId = _controller.Config.NodeId;
        // Never registered (refused as a duplicate, or stopped while starting): nothing to hand over, and the node id's
        // registration, if any, belongs to another process.
        if (Volatile.Read(ref _registered))
        {
            using var wait = new CancellationTokenSource(ShutdownWait);
            try
            {
                await _cluster.Registry.UnregisterAsync(wait.Token).ConfigureAwait(false);
                await _controller.WaitForImageAsync(image => !image.IsLive(nodeId), wait.Token).ConfigureAwait(false);
                _logger.LogInformation("Controlled shutdown: broker {Node} is fenced; its leaderships have moved", nodeId);
            }
#pragma warning disable CA1031 // Shutdown goes on whatever the coordination service does; the session then simply expires.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogWarning("Controlled shutdown could not finish ({Message}); the cluster fences this broker when its session expires", e.Message);
            }
        }

        lock (_gate)
        {
            _replicas.SuspendLeadership("controlled shutdown");
        }

        await _service.DisposeAsync().ConfigureAwait(false);
        try
        {
            using var resign = new CancellationTokenSource(ShutdownWait);
            await _cluster.Log.ResignAsync(resign.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // As above: the election key goes with the lease anyway.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogWarning("Resigning the controller role failed ({Message}); it ends with the session", e.Message);
        }

        _stopping.Dispose();
    }
}
