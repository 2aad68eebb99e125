using System.Diagnostics;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Controller failover: find the controller every broker agrees on, kill -9 it, and time until a surviving broker's
/// Metadata names another controller (each survivor polled every 5 ms on its own connection, opened before the kill).
/// Then the killed broker is started again and the cluster waited on until every broker lists it and agrees on the
/// controller; the restart waits out the old registration (up to <c>broker.session.timeout.ms</c>), so a run takes
/// about that long.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public static class ControllerFailover
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan FailoverTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(120);

    public static async Task RunAsync(LocalCluster cluster, ClusterOptions options, ClusterReport report, Action<string> log, CancellationToken cancellationToken)
    {
        for (var run = 1; run <= options.Runs; run++)
        {
            var sample = await FailOverAsync(cluster, run, log, cancellationToken).ConfigureAwait(false);
            report.Failovers.Add(sample);
        }
    }

    /// <summary>One kill -9 of the controller; with <paramref name="rejoin"/> also the killed broker's restart, until the
    /// cluster has settled again (else the caller restarts it).</summary>
    public static async Task<FailoverSample> FailOverAsync(LocalCluster cluster, int run, Action<string> log, CancellationToken cancellationToken, bool rejoin = true)
    {
        var controller = await cluster.WaitHealthyAsync(SettleTimeout, cancellationToken).ConfigureAwait(false);
        var survivors = cluster.NodeIds.Where(n => n != controller).ToList();
        var probes = survivors.Select(cluster.Probe).ToList();
        try
        {
            // Connect before the kill, so the figure holds no connection set-up.
            await Task.WhenAll(probes.Select(p => p.TryGetAsync([], TimeSpan.FromSeconds(5), cancellationToken))).ConfigureAwait(false);
            var start = Stopwatch.GetTimestamp();
            await cluster.KillAsync(controller).ConfigureAwait(false);
            var times = await MetadataPolling.UntilEachAsync(
                probes, [], view => view.ControllerId >= 0 && view.ControllerId != controller, start, PollInterval, FailoverTimeout, cancellationToken).ConfigureAwait(false);
            var views = await Task.WhenAll(probes.Select(p => p.TryGetAsync([], TimeSpan.FromSeconds(5), cancellationToken))).ConfigureAwait(false);
            var newController = views.FirstOrDefault(v => v is not null)?.ControllerId ?? -1;
            var first = times.Min().TotalSeconds;
            var all = times.Max().TotalSeconds;
            log($"   failover {run}: killed controller {controller} (kill -9); broker {survivors[Array.IndexOf(times, times.Min())]} named controller {newController} after {first:0.000} s, every survivor after {all:0.000} s");

            if (!rejoin)
            {
                return new FailoverSample(run, controller, newController, first, all, double.NaN);
            }

            var clock = Stopwatch.StartNew();
            var started = await cluster.StartBrokerAsync(controller).ConfigureAwait(false);
            await cluster.WaitHealthyAsync(SettleTimeout, cancellationToken).ConfigureAwait(false);
            log($"   failover {run}: broker {controller} restarted, registered after {started.TotalSeconds:0.0} s (it waits out its old registration), cluster settled after {clock.Elapsed.TotalSeconds:0.0} s");
            return new FailoverSample(run, controller, newController, first, all, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }
    }
}
