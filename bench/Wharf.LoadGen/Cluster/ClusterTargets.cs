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

        var single = report.Produce.FirstOrDefault(r => r.System == "single node");
        var cluster = report.Produce.FirstOrDefault(r => r.System != "single node");
        if (single is not null && cluster is not null)
        {
            var ratio = Summary.Ratio(cluster.MessagesPerSecond, single.MessagesPerSecond);
            yield return new ClusterTargetRow(
                $"produce 1 KiB, {cluster.Partitions} partitions, RF 1: {cluster.System} / single node",
                "≥ 0.8×", string.Create(CultureInfo.InvariantCulture, $"{ratio.Median:0.00}× ({ratio.Min:0.00}–{ratio.Max:0.00})"), ratio.Median >= 0.8);
        }
    }
}
