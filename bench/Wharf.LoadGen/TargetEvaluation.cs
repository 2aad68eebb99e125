namespace Wharf.LoadGen;

/// <summary>
/// The targets of issue 6, evaluated on one run's figures. Ratios are of medians; the range is the widest the
/// runs allow. Lazy is only ever compared with lazy, strict with strict (plus Wharf strict vs Wharf lazy, which
/// the issue asks for explicitly). A target whose inputs were not measured is left out.
/// </summary>
public static class TargetEvaluation
{
    public static IEnumerable<TargetRow> Evaluate(CompareReport report)
    {
        Summary? Rate(string system, string durability, string phase, int size = 1024) =>
            report.Throughput.FirstOrDefault(r => r.System == system && r.Durability == durability && r.Phase == phase && r.Size == size)?.MessagesPerSecond;

        TargetRow? AtLeast(string name, Summary? a, Summary? b, double target, string note = "")
        {
            if (a is null || b is null)
            {
                return null;
            }

            var ratio = Summary.Ratio(a, b);
            return new TargetRow(name, $"≥ {target:0.0#}×", ratio, ratio.Median >= target, note);
        }

        var rows = new List<TargetRow?>
        {
            AtLeast("produce 1 KiB lazy: Wharf / NATS JetStream", Rate("wharf", "lazy", "produce"), Rate("nats", "lazy", "produce"), 5),
            AtLeast("produce 1 KiB lazy: Wharf / Redis everysec", Rate("wharf", "lazy", "produce"), Rate("redis", "lazy", "produce"), 3),
            AtLeast("produce 1 KiB lazy: Wharf / client ceiling", Rate("wharf", "lazy", "produce"), Rate("ceiling", "mock", "produce"), 0.5),
            AtLeast("produce 1 KiB strict: Wharf ack / Redis always", Rate("wharf", "strict", "produce"), Rate("redis", "strict", "produce"), 5),
            AtLeast("produce 1 KiB: Wharf strict / Wharf lazy", Rate("wharf", "strict", "produce"), Rate("wharf", "lazy", "produce"), 0.6),
            AtLeast("consume 1 KiB: Wharf / Redis (lazy servers)", Rate("wharf", "lazy", "consume"), Rate("redis", "lazy", "consume"), 1.5),
            AtLeast("consume 1 KiB: Wharf / NATS JetStream", Rate("wharf", "lazy", "consume"), Rate("nats", "lazy", "consume"), 3),
        };

        foreach (var durability in new[] { "lazy", "strict" })
        {
            if (report.Throughput.FirstOrDefault(r => r is { System: "wharf", Phase: "produce", Size: 1024 } && r.Durability == durability) is { } produce)
            {
                var cpu = produce.ServerCpuMicrosPerMessage;
                rows.Add(new TargetRow($"broker CPU per 1 KiB message produced ({durability})", "≤ 1.5 µs", cpu, cpu.Median <= 1.5, "µs of utime+stime per message"));
            }
        }

        foreach (var (durability, limit) in new[] { ("lazy", 5.0), ("strict", 10.0) })
        {
            if (report.Latency.FirstOrDefault(r => r.System == "wharf" && r.Durability == durability) is { } latency)
            {
                rows.Add(new TargetRow($"p99 end-to-end at {latency.Rate:N0} msg/s ({durability})", $"≤ {limit:0} ms", latency.P99Ms, latency.P99Ms.Median <= limit, "ms"));
            }
        }

        foreach (var memory in report.Memory.Where(m => m.System == "wharf"))
        {
            var idle = new Summary(memory.IdleRssMiB, memory.IdleRssMiB, memory.IdleRssMiB);
            rows.Add(new TargetRow($"idle broker RSS ({memory.Durability})", "≤ 150 MiB", idle, memory.IdleRssMiB <= 150, "MiB, one reading 3 s after ready"));
        }

        foreach (var producers in report.Scaling.Select(s => s.Producers).Distinct())
        {
            var eight = report.Scaling.FirstOrDefault(s => s.Producers == producers && s.Partitions == 8)?.MessagesPerSecond;
            var many = report.Scaling.FirstOrDefault(s => s.Producers == producers && s.Partitions == 512)?.MessagesPerSecond;
            rows.Add(AtLeast($"throughput 512 / 8 partitions ({producers} producer{(producers == 1 ? "" : "s")})", many, eight, 0.7));
        }

        return rows.OfType<TargetRow>();
    }
}
