using System.Globalization;
using System.Text;

namespace Wharf.LoadGen.Queue;

/// <summary>Renders a <see cref="QueueReport"/> as the printed (Markdown) tables; JSON goes through <see cref="ReportWriter.Json{T}"/>.</summary>
public static class QueueReportWriter
{
    public static string Table(QueueReport report)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        var o = report.Options;
        Line($"Machine: {report.Machine}");
        Line($"Servers: {string.Join("; ", report.ServerVersions.Select(v => $"{v.Key}: {v.Value}"))}");
        Line($"Measured on {report.Revision.Describe()}");
        Line($"Started {report.StartedUtc:yyyy-MM-dd HH:mm} UTC, {(report.FinishedUtc - report.StartedUtc).TotalMinutes:0.0} min; load average at start {report.LoadAverageAtStart}, at end {report.LoadAverageAtEnd}");
        Line($"{o.Messages:N0} messages of {o.Size:N0} B per run, median (min–max) of {o.Runs} run(s) after a {o.WarmUpMessages:N0}-message warm-up{(o.Quick ? " (--quick)" : "")}; 1 producer waiting for durable acks, then {o.Consumers} consumers acknowledging every message on its own.");
        Line($"RabbitMQ: {o.RabbitConfirmWindow:N0} publishes awaiting confirms, prefetch {o.RabbitPrefetch:N0} per consumer. NATS: {o.NatsPublishWindow:N0} publishes awaiting acks, pulls of {o.NatsPullMessages:N0} (next at {o.NatsPullThreshold:N0} left), MaxAckPending {o.EffectiveNatsMaxAckPending:N0}. Wharf: {o.WharfPartitions} partition(s), max.poll.records {o.WharfMaxPollRecords:N0}, fetch.max.bytes {(o.WharfFetchMaxBytes > 0 ? $"{o.WharfFetchMaxBytes:N0}" : "default")}, acknowledgements {(o.WharfCommit == WharfCommit.Async ? "by CommitAsync per batch" : "on the next ShareFetch")}.");
        text.AppendLine();
        text.AppendLine("| system | durability of the ack | phase | msg/s | MB/s | broker CPU-µs/msg | generator CPU-µs/msg |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var row in report.Rows)
        {
            var phase = row.Phase == QueueRow.Consume ? $"consume ({row.Consumers} consumers, ack each)" : "produce";
            Line($"| {row.System} | {row.Durability} | {phase} | {Rate(row.MessagesPerSecond)} | {Plain(row.MegabytesPerSecond, "0")} | {Plain(row.ServerCpuMicrosPerMessage, "0.00")} | {Plain(row.GeneratorCpuMicrosPerMessage, "0.00")} |");
        }

        foreach (var skipped in report.Skipped)
        {
            Line($"| {skipped} | | consume | n/a | | | |");
        }

        if (report.Deliveries.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Exactly-once check of every measured consume phase (ids are sequence numbers; \"left\" is what the broker still held for the queue afterwards):");
            text.AppendLine();
            text.AppendLine("| system | run | sent | consumed once | lost | duplicated | foreign | left in queue | per consumer | verdict |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
            foreach (var d in report.Deliveries)
            {
                var r = d.Result;
                var lost = r.Delivery.FirstLost.Count > 0 ? $"{r.Delivery.Lost:N0} (first {string.Join(", ", r.Delivery.FirstLost)})" : $"{r.Delivery.Lost:N0}";
                var duplicated = r.FirstDuplicated.Count > 0 ? $"{r.Delivery.Duplicates:N0} (first {string.Join(", ", r.FirstDuplicated)})" : $"{r.Delivery.Duplicates:N0}";
                var left = r.LeftInQueue < 0 ? "not checked" : r.LeftInQueue.ToString("N0", CultureInfo.InvariantCulture);
                Line($"| {d.System} | {d.Run} | {r.Delivery.Sent:N0} | {r.Delivery.Received:N0} | {lost} | {duplicated} | {r.Delivery.Foreign:N0} | {left} | {string.Join(" / ", r.PerConsumer.Select(c => c.ToString("N0", CultureInfo.InvariantCulture)))} | {(r.ExactlyOnce ? "exactly once" : "**FAILED**")} |");
            }
        }

        text.AppendLine();
        text.AppendLine("| target | wanted | measured median (range) | met |");
        text.AppendLine("|---|---|---|---|");
        foreach (var row in report.Targets)
        {
            Line($"| {row.Name} | {row.Wanted} | {row.Measured} | {row.Met switch { null => QueueTargets.NotAvailable, true => "yes", false => "**no**" }} |");
        }

        foreach (var note in report.Notes)
        {
            Line($"\nNote: {note}");
        }

        return text.ToString();
    }

    private static string Rate(Summary s) => string.Create(CultureInfo.InvariantCulture, $"{s.Median:N0} ({s.Min:N0}–{s.Max:N0})");

    private static string Plain(Summary s, string format) =>
        s.Min.Equals(s.Max)
            ? s.Median.ToString(format, CultureInfo.InvariantCulture)
            : $"{s.Median.ToString(format, CultureInfo.InvariantCulture)} ({s.Min.ToString(format, CultureInfo.InvariantCulture)}–{s.Max.ToString(format, CultureInfo.InvariantCulture)})";
}
