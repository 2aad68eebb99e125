using System.Globalization;
using System.Text;

namespace Wharf.LoadGen.Cluster;

/// <summary>Renders a <see cref="ClusterReport"/> as the printed (Markdown) tables; JSON goes through <see cref="ReportWriter.Json{T}"/>.</summary>
public static class ClusterReportWriter
{
    public static string Table(ClusterReport report)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"Machine: {report.Machine}; {report.EtcdVersion}");
        Line($"Measured on {report.Revision.Describe()}");
        Line($"Started {report.StartedUtc:yyyy-MM-dd HH:mm} UTC, {(report.FinishedUtc - report.StartedUtc).TotalMinutes:0.0} min; load average at start {report.LoadAverageAtStart}, at end {report.LoadAverageAtEnd}");
        Line($"{report.Options.Brokers} brokers + 1 etcd on 127.0.0.1, log.flush.mode={report.Options.FlushMode}, replication factor 1 unless a table says RF 3{(report.Options.Quick ? "; --quick" : "")}");

        if (report.Failovers.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| failover run | killed controller | new controller | first survivor names it | every survivor | killed broker back (restart + registration) |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var f in report.Failovers)
            {
                Line($"| {f.Run} | {f.KilledController} | {f.NewController} | {f.FirstSurvivorSeconds:0.000} s | {f.AllSurvivorsSeconds:0.000} s | {f.RejoinSeconds:0.0} s |");
            }
        }

        if (report.Visibility.Count > 0)
        {
            var slowest = Percentiles.Of(report.Visibility.Select(v => v.SlowestSeconds * 1000));
            var create = Percentiles.Of(report.Visibility.Select(v => v.CreateTopicsSeconds * 1000));
            var brokers = report.Visibility[0].PerBrokerSeconds.Count;
            text.AppendLine();
            Line($"{report.Visibility.Count} topics of {report.Options.PartitionsPerVisibilityTopic} partitions created one by one (ms):");
            text.AppendLine();
            text.AppendLine("| figure | p50 | p90 | p99 | max |");
            text.AppendLine("|---|---:|---:|---:|---:|");
            Line($"| CreateTopics call | {create.P50:0.0} | {create.P90:0.0} | {create.P99:0.0} | {create.Max:0.0} |");
            for (var b = 0; b < brokers; b++)
            {
                var one = Percentiles.Of(report.Visibility.Select(v => v.PerBrokerSeconds[b] * 1000));
                Line($"| then visible on broker {b + 1} | {one.P50:0.0} | {one.P90:0.0} | {one.P99:0.0} | {one.Max:0.0} |");
            }

            Line($"| then visible on every broker | {slowest.P50:0.0} | {slowest.P90:0.0} | {slowest.P99:0.0} | {slowest.Max:0.0} |");
        }

        if (report.Produce.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| produce 1 KiB | partitions | msg/s median (range) | MB/s | broker CPU-µs/msg | generator CPU-µs/msg |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var row in report.Produce)
            {
                Line($"| {row.System} | {row.Partitions} | {row.MessagesPerSecond.Median:N0} ({row.MessagesPerSecond.Min:N0}–{row.MessagesPerSecond.Max:N0}) | {row.MegabytesPerSecond.Median:0} | {row.ServerCpuMicrosPerMessage.Median:0.00} | {row.GeneratorCpuMicrosPerMessage.Median:0.00} |");
            }
        }

        foreach (var (phase, rows) in new[] { ("produce", report.ReplicatedProduce), ("consume", report.ReplicatedConsume) }.Where(x => x.Item2.Count > 0))
        {
            text.AppendLine();
            Line($"| {phase} 1 KiB, cluster RF 3 (min.insync.replicas=2) | partitions | msg/s median (range) | MB/s | broker CPU-µs/msg | generator CPU-µs/msg |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var row in rows)
            {
                Line($"| {row.System} | {row.Partitions} | {row.MessagesPerSecond.Median:N0} ({row.MessagesPerSecond.Min:N0}–{row.MessagesPerSecond.Max:N0}) | {row.MegabytesPerSecond.Median:0} | {row.ServerCpuMicrosPerMessage.Median:0.00} | {row.GeneratorCpuMicrosPerMessage.Median:0.00} |");
            }
        }

        if (report.LeaderFailovers.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Partition leader stopped under an idempotent acks=all producer (one message per ms); times from the signal:");
            text.AppendLine();
            text.AppendLine("| run | signal | stopped leader | new leader | largest ack gap | (before the signal) | first ack of a message sent after | worst wait of one | survivor names new leader | process gone | acks before / after / failed | client warnings | registered again | back in ISR |");
            text.AppendLine("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var f in report.LeaderFailovers)
            {
                Line($"| {f.Run} | {f.Signal} | {f.StoppedLeader}{(f.WasController ? " (controller)" : "")} | {f.NewLeader} | {f.LargestGapSeconds:0.000} s | {f.BaselineGapSeconds:0.000} s | {f.FirstAckSeconds:0.000} s | {f.WorstWaitSeconds:0.000} s | {f.LeaderMovedSeconds:0.000} s | {f.ExitedSeconds:0.000} s | {f.AckedBeforeStop} / {f.AckedAfterStop} / {f.FailedDeliveries} | {f.ClientWarnings} | {f.RegisteredSeconds:0.0} s | {(double.IsNaN(f.BackInIsrSeconds) ? $"no, not within {report.Options.IsrWaitSeconds:0} s" : $"{f.BackInIsrSeconds:0.0} s")} |");
            }
        }

        if (report.Scale is { } scale)
        {
            text.AppendLine();
            Line($"{scale.Partitions:N0} partitions ({scale.Topics} topics × {report.Options.PartitionsPerTopic}, {report.Options.TopicsPerRequest} topics per CreateTopics request): requests returned after {scale.CreateRequestsSeconds:0.00} s; every broker listed all with leaders after {scale.CreatedSeconds:0.00} s ({string.Join(", ", scale.CreatedPerBrokerSeconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))} s per broker).");
            if (scale.Failover is { } failover)
            {
                Line($"Failover with them: controller {failover.KilledController} killed, broker {failover.NewController} named after {failover.FirstSurvivorSeconds:0.000} s (every survivor {failover.AllSurvivorsSeconds:0.000} s).");
            }

            var restarts = new[] { scale.FormerControllerRestart, scale.SigtermRestart, scale.KillRestart }.OfType<RestartSample>().ToList();
            if (restarts.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("| restart | broker | its partitions | exited | registered (ready) | leads all of them on every broker |");
                text.AppendLine("|---|---:|---:|---:|---:|---:|");
                foreach (var r in restarts)
                {
                    Line($"| {r.Signal} | {r.Node} | {r.PartitionsLed:N0} | {r.StoppedSeconds:0.00} s | {r.RegisteredSeconds:0.00} s | {r.LeadingSeconds:0.00} s |");
                }
            }
        }

        if (report.Targets.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| target | wanted | measured | met |");
            text.AppendLine("|---|---|---|---|");
            foreach (var row in report.Targets)
            {
                Line($"| {row.Name} | {row.Wanted} | {row.Measured} | {(row.Met ? "yes" : "**no**")} |");
            }
        }

        var noisy = report.ProcessLogs.Where(p => p.NotableLines > 0).ToList();
        text.AppendLine();
        Line($"Warnings, errors and exceptions in server output: {(noisy.Count == 0 ? "none" : string.Join(", ", noisy.Select(p => $"{p.Process} {p.NotableLines} line(s)")))}");
        foreach (var line in noisy.SelectMany(p => p.FirstLines.Take(15)))
        {
            text.AppendLine("    " + line);
        }

        if (report.ProcessLogs.Count > 0)
        {
            Line($"Whole output of each server: {Path.GetDirectoryName(report.ProcessLogs[0].OutputFile)}");
        }

        foreach (var note in report.Notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nNote: {note}");
        }

        return text.ToString();
    }
}
