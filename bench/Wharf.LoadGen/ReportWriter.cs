using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wharf.LoadGen;

/// <summary>Renders a <see cref="CompareReport"/> as the printed (Markdown) table, and any report as JSON.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static string Json(CompareReport report) => JsonSerializer.Serialize(report, JsonOptions);

    /// <summary>Any report (the <c>cluster</c> command's too), with the same settings: camelCase, indented, NaN allowed.</summary>
    public static string Json<T>(T report) => JsonSerializer.Serialize(report, JsonOptions);

    public static string Table(CompareReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {report.Machine}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Measured on {report.Revision.Describe()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Started {report.StartedUtc:yyyy-MM-dd HH:mm} UTC, {(report.FinishedUtc - report.StartedUtc).TotalMinutes:0.0} min; load average at start {report.LoadAverageAtStart}, at end {report.LoadAverageAtEnd}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{report.Options.Messages:N0} messages per run (larger messages: the same bytes as 1 KiB runs), median (min–max) of {report.Options.Runs} run(s) after a {report.Options.WarmUpMessages:N0}-message warm-up (scaled the same way); 1 producer, then 1 consumer from the beginning.");
        text.AppendLine();
        text.AppendLine("| system | durability | size | phase | msg/s | MB/s | server CPU-µs/msg | generator CPU-µs/msg | client thread running+runnable |");
        text.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var row in report.Throughput)
        {
            var busy = row.DrivingThreadBusy is { Median: var median } summary && !double.IsNaN(median) ? Plain(summary, "0.00") : "—";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.System} | {row.Durability} | {row.Size} B | {row.Phase} | {Rate(row.MessagesPerSecond)} | {Plain(row.MegabytesPerSecond, "0")} | {Cpu(row, row.ServerCpuMicrosPerMessage)} | {Plain(row.GeneratorCpuMicrosPerMessage, "0.00")} | {busy} |");
        }

        if (report.Disk.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Disk ceiling: fio writes each Wharf run's payload bytes to a new file in Wharf's data directory right after the run (psync, no preallocation); share = median of per-run Wharf MB/s ÷ fio MB/s:");
            text.AppendLine();
            text.AppendLine("| durability | size | MB per run | fio | fio MB/s | Wharf produce MB/s | Wharf / disk |");
            text.AppendLine("|---|---:|---:|---|---:|---:|---:|");
            foreach (var row in report.Disk)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Durability} | {row.Size} B | {row.BytesPerRun / 1e6:N0} | {row.Mode} | {Plain(row.DiskMegabytesPerSecond, "0")} | {Plain(row.WharfMegabytesPerSecond, "0")} | {Plain(row.WharfShare, "0.00")} |");
            }
        }

        if (report.Latency.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| system | durability | rate × size | p50 ms | p99 ms | p99.9 ms | max ms | server CPU-µs/msg |");
            text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|");
            foreach (var row in report.Latency)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.System} | {row.Durability} | {row.Rate:N0}/s × {row.Size} B | {Plain(row.P50Ms, "0.00")} | {Plain(row.P99Ms, "0.00")} | {Plain(row.P999Ms, "0.00")} | {Plain(row.MaxMs, "0.0")} | {Plain(row.ServerCpuMicrosPerMessage, "0.00")} |");
            }
        }

        if (report.Scaling.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Wharf (lazy) produce scaling, {report.Options.ScalingMessages:N0} × 1 KiB per run, keyed (uniform keys from a pool of {Drivers.UniformKeys.Count:N0}, librdkafka's consistent_random partitioner):");
            text.AppendLine();
            text.AppendLine("| partitions | producers | msg/s | MB/s | server CPU-µs/msg | generator CPU-µs/msg |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var row in report.Scaling)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Partitions} | {row.Producers} | {Rate(row.MessagesPerSecond)} | {Plain(row.MegabytesPerSecond, "0")} | {Plain(row.ServerCpuMicrosPerMessage, "0.00")} | {Plain(row.GeneratorCpuMicrosPerMessage, "0.00")} |");
            }
        }

        if (report.Backlog.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Wharf (lazy) backlog of {report.Options.BacklogMiB:N0} MiB (1 KiB messages), one run:");
            text.AppendLine();
            text.AppendLine("| phase | msg/s | MB/s | server CPU-µs/msg | generator CPU-µs/msg |");
            text.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var row in report.Backlog)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Phase} | {Rate(row.MessagesPerSecond)} | {Plain(row.MegabytesPerSecond, "0")} | {Plain(row.ServerCpuMicrosPerMessage, "0.00")} | {Plain(row.GeneratorCpuMicrosPerMessage, "0.00")} |");
            }
        }

        if (report.Memory.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| server | durability | idle RSS MiB | peak RSS MiB (after throughput runs) | peak RSS MiB (end) |");
            text.AppendLine("|---|---|---:|---:|---:|");
            foreach (var row in report.Memory)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.System} | {row.Durability} | {row.IdleRssMiB:0} | {row.PeakRssAfterThroughputMiB:0} | {row.PeakRssMiB:0} |");
            }
        }

        if (report.Targets.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| target (issue 6) | wanted | measured median (range) | met |");
            text.AppendLine("|---|---|---|---|");
            foreach (var row in report.Targets)
            {
                var value = row.Target.Contains('×', StringComparison.Ordinal) ? $"{row.Value.Median:0.00}× ({row.Value.Min:0.00}–{row.Value.Max:0.00})" : $"{row.Value.Median:0.00} ({row.Value.Min:0.00}–{row.Value.Max:0.00}) {row.Note.Split(',')[0]}";
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.Target} | {value} | {(row.Met ? "yes" : "**no**")} |");
            }
        }

        foreach (var note in report.Notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nNote: {note}");
        }

        return text.ToString();
    }

    private static string Rate(Summary s) => $"{Short(s.Median)} ({Short(s.Min)}–{Short(s.Max)})";

    private static string Short(double value) => value switch
    {
        >= 1e6 => (value / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (value / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };

    private static string Plain(Summary s, string format) =>
        s.Min.Equals(s.Max)
            ? s.Median.ToString(format, CultureInfo.InvariantCulture)
            : $"{s.Median.ToString(format, CultureInfo.InvariantCulture)} ({s.Min.ToString(format, CultureInfo.InvariantCulture)}–{s.Max.ToString(format, CultureInfo.InvariantCulture)})";

    /// <summary>The ceiling's "server" is the in-process mock: its CPU is inside the generator's figure.</summary>
    private static string Cpu(ThroughputRow row, Summary s) => row.System == "ceiling" ? "(in generator)" : Plain(s, "0.00");
}
