using System.Globalization;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// The cluster targets, evaluated on one run's figures. A target whose measurement did not run (or did not complete)
/// is left out; the run's notes say why.
/// Thread-safety: stateless.
/// </summary>
public static class ClusterTargets
{
    public static IEnumerable<ClusterTargetRow> Evaluate(ClusterReport report)
    {
        static string S(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

        if (report.Failovers.Count > 0)
        {
            var first = Summary.Of(report.Failovers.Select(f => f.FirstSurvivorSeconds));
            yield return new ClusterTargetRow(
                $"controller failover (kill -9 of the controller until a survivor's Metadata names another), median of {report.Failovers.Count}",
                "≤ 2 s", $"{S(first.Median)} ({S(first.Min)}–{S(first.Max)})", first.Median <= 2);
        }

        if (report.Visibility.Count > 0)
        {
            var slowest = Percentiles.Of(report.Visibility.Select(v => v.SlowestSeconds * 1000));
            yield return new ClusterTargetRow(
                $"topic visible with leaders on every broker after CreateTopics returns, p99 of {slowest.Count} topics (slowest broker)",
                "≤ 100 ms", string.Create(CultureInfo.InvariantCulture, $"{slowest.P99:0.0} ms (p50 {slowest.P50:0.0}, max {slowest.Max:0.0})"), slowest.P99 <= 100);
        }

        if (report.Scale is { } scale)
        {
            if (scale.CreatedPerBrokerSeconds.Count > 0)
            {
                yield return new ClusterTargetRow(
                    $"create {scale.Partitions:N0} partitions ({scale.Topics} topics) until every broker lists all with leaders",
                    "≤ 10 s", $"{S(scale.CreatedSeconds)} (requests returned after {S(scale.CreateRequestsSeconds)})", scale.CreatedSeconds <= 10);
            }

            if (scale.Failover is { } failover)
            {
                yield return new ClusterTargetRow(
                    $"controller failover with {scale.Partitions:N0} partitions (one run)", "≤ 5 s", S(failover.FirstSurvivorSeconds), failover.FirstSurvivorSeconds <= 5);
            }

            foreach (var restart in new[] { scale.SigtermRestart, scale.KillRestart }.OfType<RestartSample>())
            {
                yield return new ClusterTargetRow(
                    $"restart of a non-controller broker after {restart.Signal}, until it leads its {restart.PartitionsLed:N0} partitions again on every broker",
                    "≤ 5 s", $"{S(restart.LeadingSeconds)} (exited {S(restart.StoppedSeconds)}, registered {S(restart.RegisteredSeconds)})", restart.LeadingSeconds <= 5);
            }
        }

        if (Versus(report.Produce, 0.8, "produce 1 KiB, {0} partitions, RF 1: {1} / single node") is { } produce)
        {
            yield return produce;
        }

        if (Versus(report.ReplicatedProduce, 0.5, "produce 1 KiB acks=all, {0} partitions: {1} (min.insync.replicas=2) / single node") is { } replicated)
        {
            yield return replicated;
        }

        // The issue asks for consume "unchanged in speed"; within 10 % of the single node is read as unchanged.
        if (Versus(report.ReplicatedConsume, 0.9, "consume 1 KiB from the beginning, {0} partitions: {1} / single node") is { } consume)
        {
            yield return consume;
        }

        foreach (var signal in new[] { LeaderFailover.Kill, LeaderFailover.Sigterm })
        {
            foreach (var controller in new[] { false, true })
            {
                var runs = report.LeaderFailovers.Where(f => f.Signal == signal && f.WasController == controller).ToList();
                if (runs.Count > 0)
                {
                    yield return LeaderRow(signal, controller, runs);
                }
            }
        }
    }

    /// <summary>
    /// Leader stopped under a producer: the median and the p99 (nearest rank) of the largest gap between
    /// acknowledgements around the stop (<see cref="Unavailability.LargestGapSeconds"/>), with the median time from the
    /// signal to the first acknowledgement of a message sent after it beside it. A run where nothing sent after the
    /// signal was acknowledged counts as infinitely long, so it fails the target rather than vanish from it.
    /// kill -9: median ≤ 3 s and p99 ≤ 5 s; SIGTERM (controlled shutdown): median ≤ 0.3 s.
    /// </summary>
    public static ClusterTargetRow LeaderRow(string signal, bool controller, IReadOnlyList<LeaderFailoverSample> runs)
    {
        static double Finite(double seconds) => double.IsNaN(seconds) ? double.PositiveInfinity : seconds;
        static string S(double seconds) => double.IsPositiveInfinity(seconds) ? "∞" : seconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";

        var gaps = runs.Select(r => Finite(r.LargestGapSeconds)).ToList();
        var median = Summary.Of(gaps);
        var p99 = Percentiles.Of(gaps).P99;
        var first = Summary.Of(runs.Select(r => Finite(r.FirstAckSeconds)));
        var kill = signal == LeaderFailover.Kill;
        var missing = gaps.Count(double.IsPositiveInfinity);
        return new ClusterTargetRow(
            $"{signal} of a partition leader{(controller ? " that is also the controller" : " (not the controller)")} under an idempotent acks=all producer (RF 3, min.insync.replicas=2): "
                + $"largest gap between acks, {runs.Count} run(s)",
            kill ? "median ≤ 3 s, p99 ≤ 5 s" : "median ≤ 0.3 s",
            $"median {S(median.Median)}, p99 {S(p99)} ({S(median.Min)}–{S(median.Max)}); signal → first ack of a message sent after it median {S(first.Median)}"
                + (missing > 0 ? $"; {missing} run(s) without an ack within 60 s" : ""),
            kill ? median.Median <= 3 && p99 <= 5 : median.Median <= 0.3);
    }

    /// <summary>The cluster's median over the single node's, for the rows of one throughput measurement; null when
    /// it did not run. <paramref name="name"/> gets the partitions and the cluster's name.</summary>
    private static ClusterTargetRow? Versus(IReadOnlyList<ThroughputRow> rows, double wanted, string name)
    {
        var single = rows.FirstOrDefault(r => r.System == "single node");
        var cluster = rows.FirstOrDefault(r => r.System != "single node");
        if (single is null || cluster is null)
        {
            return null;
        }

        var ratio = Summary.Ratio(cluster.MessagesPerSecond, single.MessagesPerSecond);
        return new ClusterTargetRow(
            string.Format(CultureInfo.InvariantCulture, name, cluster.Partitions, cluster.System),
            string.Create(CultureInfo.InvariantCulture, $"≥ {wanted:0.0#}×"),
            string.Create(CultureInfo.InvariantCulture, $"{ratio.Median:0.00}× ({ratio.Min:0.00}–{ratio.Max:0.00}; {cluster.MessagesPerSecond.Median:N0} vs {single.MessagesPerSecond.Median:N0} msg/s)"),
            ratio.Median >= wanted);
    }
}
