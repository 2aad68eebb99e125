using System.Diagnostics;
using Wharf.LoadGen.Drivers;
using Wharf.LoadGen.Servers;

namespace Wharf.LoadGen;

/// <summary>
/// The whole side-by-side run: for each system and durability level it starts the server (fresh data directory),
/// warms up, then per message size runs N × (produce everything, then consume everything from the beginning),
/// then fixed-rate latency; Wharf (lazy) also gets the partition/producer scaling grid and the backlog read
/// from disk. Every figure records server and generator CPU from /proc so noise from other load is visible.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public sealed class Comparison(CompareOptions options, TextWriter output)
{
    private readonly Dictionary<int, byte[]> _payloads = [];
    private int _streamCounter;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = Servers.Servers.RepositoryRoot();
        Directory.CreateDirectory(options.Scratch);
        var report = new CompareReport
        {
            StartedUtc = DateTimeOffset.UtcNow,
            Machine = MachineDescription(),
            Revision = SourceRevision.Of(root),
            LoadAverageAtStart = ProcessStats.LoadAverage(),
            Options = options,
        };
        Log($"machine: {report.Machine}; load average {report.LoadAverageAtStart}");
        Log($"source: {report.Revision.Describe()}");
        var wharfDll = options.Only.Contains("wharf") ? Servers.Servers.EnsureWharfBuilt(root, Log) : "";
        Servers.Servers.EnsurePackages(options.Only.Where(o => o is "nats" or "redis").Select(o => $"{o}-server"), Log);
        if (options.DiskCeiling && options.Only.Contains("wharf"))
        {
            Servers.Servers.EnsurePackages(["fio"], Log);
        }

        foreach (var target in Targets(wharfDll))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await RunTargetAsync(target, report, cancellationToken).ConfigureAwait(false);
        }

        report.FinishedUtc = DateTimeOffset.UtcNow;
        report.LoadAverageAtEnd = ProcessStats.LoadAverage();
        Targets(report);
        var text = ReportWriter.Table(report);
        await output.WriteLineAsync(text).ConfigureAwait(false);
        var json = options.JsonPath ?? Path.Combine(root, "bench", "Wharf.LoadGen", "results", $"compare-{report.StartedUtc:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
        await File.WriteAllTextAsync(json, ReportWriter.Json(report), cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"JSON: {json}").ConfigureAwait(false);
        var exitCode = RunVerdict.ExitCode(report);
        if (exitCode != RunVerdict.Success)
        {
            await output.WriteLineAsync(RunVerdict.Describe(report)).ConfigureAwait(false);
        }

        return exitCode;
    }

    private IEnumerable<TargetSpec> Targets(string wharfDll)
    {
        var lazy = options.Durabilities.Contains("lazy");
        var strict = options.Durabilities.Contains("strict");
        foreach (var name in CompareOptions.AllTargets.Where(options.Only.Contains))
        {
            switch (name)
            {
                case "wharf":
                    if (lazy)
                    {
                        yield return new TargetSpec("wharf", "lazy", "log.flush.mode=interval", () => Servers.Servers.StartWharfAsync(wharfDll, options.Scratch, "interval", options.WharfEnvironment), s => new KafkaDriver($"127.0.0.1:{s!.Port}", options.ClientStatistics));
                    }

                    if (strict)
                    {
                        yield return new TargetSpec("wharf", "strict", "log.flush.mode=ack", () => Servers.Servers.StartWharfAsync(wharfDll, options.Scratch, "ack", options.WharfEnvironment), s => new KafkaDriver($"127.0.0.1:{s!.Port}", options.ClientStatistics));
                    }

                    break;
                case "ceiling":
                    yield return new TargetSpec("ceiling", "mock", "librdkafka mock cluster, in-process, memory only", null, _ => new KafkaDriver(null, options.ClientStatistics));
                    break;
                case "nats":
                    if (lazy)
                    {
                        yield return new TargetSpec("nats", "lazy", "JetStream file store, fsync every 2 min (2.9 default)", () => Servers.Servers.StartNatsAsync(options.Scratch), s => new NatsDriver(s!.Port, options.NatsPullMessages, options.NatsPullThreshold));
                    }

                    break;
                case "redis":
                    if (lazy)
                    {
                        yield return new TargetSpec("redis", "lazy", "AOF appendfsync everysec", () => Servers.Servers.StartRedisAsync(options.Scratch, "everysec"), s => RedisDriver.ConnectAsync(s!.Port, options.RedisReadCount, options.RedisReadsInFlight).GetAwaiter().GetResult());
                    }

                    if (strict)
                    {
                        yield return new TargetSpec("redis", "strict", "AOF appendfsync always", () => Servers.Servers.StartRedisAsync(options.Scratch, "always"), s => RedisDriver.ConnectAsync(s!.Port, options.RedisReadCount, options.RedisReadsInFlight).GetAwaiter().GetResult());
                    }

                    break;
            }
        }
    }

    private async Task RunTargetAsync(TargetSpec target, CompareReport report, CancellationToken cancellationToken)
    {
        Log($"== {target.System} ({target.Durability}: {target.Description}); load average {ProcessStats.LoadAverage()}");
        var server = target.Start is null ? null : await target.Start().ConfigureAwait(false);
        try
        {
            double idleRss = 0;
            if (server is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
                idleRss = ProcessStats.RssMiB(server.Pid);
                Log($"   idle RSS {idleRss:0.0} MiB (pid {server.Pid})");
            }

            await using var driver = target.Driver(server);
            foreach (var size in options.Sizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await ThroughputAsync(target, server, driver, size, report).ConfigureAwait(false);
            }

            var peakAfterThroughput = server is null ? 0 : ProcessStats.PeakRssMiB(server.Pid);
            if (options.Latency && target.System != "ceiling")
            {
                await LatencyAsync(target, server, driver, report).ConfigureAwait(false);
            }

            if (target is { System: "wharf", Durability: "lazy" })
            {
                if (options.Scaling)
                {
                    await ScalingAsync(target, server, driver, report, cancellationToken).ConfigureAwait(false);
                }

                if (options.BacklogMiB > 0)
                {
                    await BacklogAsync(target, server, driver, report).ConfigureAwait(false);
                }
            }

            if (server is not null)
            {
                report.Memory.Add(new MemoryRow(target.System, target.Durability, idleRss, ProcessStats.PeakRssMiB(server.Pid), peakAfterThroughput));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var note = $"{target.System} ({target.Durability}) failed: {e.GetType().Name}: {e.Message}";
            Log("   " + note);
            if (server is not null)
            {
                Log("   server output:\n" + server.RecentOutput());
            }

            report.Notes.Add(note);
            if (e is DeliveryCheckException)
            {
                report.DeliveryFailures.Add(note);
            }
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task ThroughputAsync(TargetSpec target, ServerProcess? server, IBenchDriver driver, int size, CompareReport report)
    {
        var payload = Payload(size);
        var messages = options.MessagesFor(size);
        await ProduceConsumeAsync(server, driver, options.WarmUpFor(size), payload, 1, 1).ConfigureAwait(false);
        var produce = new List<PhaseSample>();
        var consume = new List<PhaseSample>();
        var disk = new List<(DiskMode Mode, DiskSample Disk, PhaseSample Produce)>();
        for (var run = 0; run < options.Runs; run++)
        {
            string? produceStatistics = null;
            var (p, c) = await ProduceConsumeAsync(server, driver, messages, payload, 1, 1, () => produceStatistics = driver.LastClientStatistics).ConfigureAwait(false);
            produce.Add(p);
            if (target.System == "wharf" && options.DiskCeiling && server is not null)
            {
                DiskMode[] modes = target.Durability == "strict" ? [DiskMode.SyncAtEnd, DiskMode.SyncEachBlock] : [DiskMode.Buffered];
                foreach (var mode in modes)
                {
                    if (DiskCeiling.Measure(server.DataDirectory, p.Bytes, options.DiskBlockBytes, mode, Log) is { } d)
                    {
                        disk.Add((mode, d, p));
                        Log($"   {size,5} B run {run + 1}: disk ceiling (fio, {Describe(mode)}) {d.MegabytesPerSecond:N0} MB/s{(d.SyncP50Ms is { } sync ? $", fsync p50 {sync:0.00} ms" : "")}; Wharf produced {p.MegabytesPerSecond:N0} MB/s = {p.MegabytesPerSecond / d.MegabytesPerSecond:P0} of it");
                    }
                }
            }

            var consumed = c is null ? "" : $"; consume {c.MessagesPerSecond,12:N0} msg/s (server {c.ServerCpuMicrosPerMessage:0.00}, gen {c.GeneratorCpuMicrosPerMessage:0.00}{Busy(c)})";
            if (c is not null)
            {
                consume.Add(c);
            }

            Log($"   {size,5} B run {run + 1}: produce {p.MessagesPerSecond,12:N0} msg/s (server {p.ServerCpuMicrosPerMessage:0.00} µs/msg of which kernel {p.ServerKernelCpuSeconds * 1e6 / p.Messages:0.00}, gen {p.GeneratorCpuMicrosPerMessage:0.00}{Busy(p)}){consumed}; load {p.LoadAverage}");
            if (produceStatistics is not null)
            {
                Log($"   {size,5} B run {run + 1}: produce: {produceStatistics}");
            }

            if (c is not null && driver.LastClientStatistics is { } consumeStatistics)
            {
                Log($"   {size,5} B run {run + 1}: consume: {consumeStatistics}");
            }
        }

        report.Throughput.Add(ThroughputRow.From(target.System, target.Durability, size, "produce", 1, 1, produce));
        foreach (var mode in disk.GroupBy(x => x.Mode))
        {
            report.Disk.Add(new DiskRow(
                target.Durability, size, mode.First().Produce.Bytes, options.DiskBlockBytes, Describe(mode.Key),
                Summary.Of(mode.Select(x => x.Disk.MegabytesPerSecond)),
                Summary.Of(mode.Select(x => x.Produce.MegabytesPerSecond)),
                Summary.Of(mode.Select(x => x.Produce.MegabytesPerSecond / x.Disk.MegabytesPerSecond)),
                [.. mode.Select(x => x.Disk)]));
        }
        if (consume.Count > 0)
        {
            report.Throughput.Add(ThroughputRow.From(target.System, target.Durability, size, "consume", 1, 1, consume));
        }
    }

    private async Task<(PhaseSample Produce, PhaseSample? Consume)> ProduceConsumeAsync(ServerProcess? server, IBenchDriver driver, long messages, byte[] payload, int partitions, int producers, Action? afterProduce = null)
    {
        var stream = NextStream(payload.Length);
        await driver.CreateAsync(stream, partitions).ConfigureAwait(false);
        try
        {
            var bytes = messages * payload.Length;
            var produce = await MeasureAsync(server, messages, bytes, () => driver.ProduceAsync(stream, messages, payload, producers), driver).ConfigureAwait(false);
            afterProduce?.Invoke();
            var consume = driver.SupportsConsume
                ? await MeasureAsync(server, messages, bytes, () => driver.ConsumeAsync(stream, messages, partitions), driver).ConfigureAwait(false)
                : null;
            return (produce, consume);
        }
        finally
        {
            await driver.DeleteAsync(stream).ConfigureAwait(false);
        }
    }

    private async Task LatencyAsync(TargetSpec target, ServerProcess? server, IBenchDriver driver, CompareReport report)
    {
        const int size = 1024;
        var p50 = new List<double>();
        var p99 = new List<double>();
        var p999 = new List<double>();
        var max = new List<double>();
        var cpu = new List<double>();
        var loads = new List<string>();
        for (var run = 0; run < options.Runs; run++)
        {
            var stream = NextStream(size);
            await driver.CreateAsync(stream, 1).ConfigureAwait(false);
            try
            {
                long[] latencies = [];
                var expected = (long)(options.LatencyRate * options.LatencyDuration.TotalSeconds);
                var sample = await MeasureAsync(server, expected, expected * size, async () => latencies = await driver.LatencyAsync(stream, options.LatencyRate, options.LatencyDuration, size).ConfigureAwait(false)).ConfigureAwait(false);
                Array.Sort(latencies);
                double Ms(double quantile) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)(quantile * latencies.Length))] * 1000.0 / Stopwatch.Frequency;
                p50.Add(Ms(0.50));
                p99.Add(Ms(0.99));
                p999.Add(Ms(0.999));
                max.Add(Ms(1.0));
                cpu.Add(sample.ServerCpuMicrosPerMessage);
                loads.Add(sample.LoadAverage);
                Log($"   latency run {run + 1} at {options.LatencyRate:N0} msg/s × {size} B: p50 {p50[^1]:0.00} ms, p99 {p99[^1]:0.00} ms, p99.9 {p999[^1]:0.00} ms, max {max[^1]:0.0} ms; load {sample.LoadAverage}");
            }
            finally
            {
                await driver.DeleteAsync(stream).ConfigureAwait(false);
            }
        }

        report.Latency.Add(new LatencyRow(target.System, target.Durability, size, options.LatencyRate, Summary.Of(p50), Summary.Of(p99), Summary.Of(p999), Summary.Of(max), Summary.Of(cpu), loads));
    }

    private async Task ScalingAsync(TargetSpec target, ServerProcess? server, IBenchDriver driver, CompareReport report, CancellationToken cancellationToken)
    {
        const int size = 1024;
        var payload = Payload(size);
        foreach (var producers in options.ScalingProducers)
        {
            foreach (var partitions in options.ScalingPartitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var samples = new List<PhaseSample>();
                for (var run = 0; run < options.Runs; run++)
                {
                    var stream = NextStream(size);
                    await driver.CreateAsync(stream, partitions).ConfigureAwait(false);
                    try
                    {
                        var sample = await MeasureAsync(server, options.ScalingMessages, options.ScalingMessages * size, () => driver.ProduceAsync(stream, options.ScalingMessages, payload, producers, keyed: true), driver).ConfigureAwait(false);
                        samples.Add(sample);
                        var spread = await driver.PartitionSpreadAsync(stream).ConfigureAwait(false);
                        Log($"   scaling {partitions,3} partitions × {producers} producers run {run + 1}: {sample.MessagesPerSecond,12:N0} msg/s (server {sample.ServerCpuMicrosPerMessage:0.00} µs/msg); {spread}; load {sample.LoadAverage}");
                    }
                    finally
                    {
                        await driver.DeleteAsync(stream).ConfigureAwait(false);
                    }
                }

                report.Scaling.Add(ThroughputRow.From(target.System, target.Durability, size, "produce", partitions, producers, samples));
            }
        }
    }

    private async Task BacklogAsync(TargetSpec target, ServerProcess? server, IBenchDriver driver, CompareReport report)
    {
        const int size = 1024;
        var messages = options.BacklogMiB * 1024 * 1024 / size;
        var stream = NextStream(size);
        await driver.CreateAsync(stream, 1).ConfigureAwait(false);
        try
        {
            var produce = await MeasureAsync(server, messages, messages * size, () => driver.ProduceAsync(stream, messages, Payload(size), 1), driver).ConfigureAwait(false);
            var dropped = Servers.Servers.DropPageCache(Log);
            var consume = await MeasureAsync(server, messages, messages * size, () => driver.ConsumeAsync(stream, messages, 1), driver).ConfigureAwait(false);
            var phase = dropped ? "consume (page cache dropped)" : "consume (page cache NOT dropped)";
            Log($"   backlog {options.BacklogMiB} MiB: produce {produce.MessagesPerSecond:N0} msg/s; {phase} {consume.MessagesPerSecond:N0} msg/s ({consume.MegabytesPerSecond:N0} MB/s, server {consume.ServerCpuMicrosPerMessage:0.00} µs/msg)");
            report.Backlog.Add(ThroughputRow.From(target.System, target.Durability, size, "produce", 1, 1, [produce]));
            report.Backlog.Add(ThroughputRow.From(target.System, target.Durability, size, phase, 1, 1, [consume]));
        }
        finally
        {
            await driver.DeleteAsync(stream).ConfigureAwait(false);
        }
    }

    private static async Task<PhaseSample> MeasureAsync(ServerProcess? server, long messages, long bytes, Func<Task> phase, IBenchDriver? driver = null)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var load = ProcessStats.LoadAverage();
        var serverBefore = server is null ? default : ProcessStats.CpuTimes(server.Pid);
        var ownBefore = ProcessStats.OwnCpuSeconds();
        var clock = Stopwatch.StartNew();
        await phase().ConfigureAwait(false);
        clock.Stop();
        var serverAfter = server is null ? default : ProcessStats.CpuTimes(server.Pid);
        var ownCpu = ProcessStats.OwnCpuSeconds() - ownBefore;
        return new PhaseSample(clock.Elapsed.TotalSeconds, messages, bytes, serverAfter.Total - serverBefore.Total, ownCpu, load)
        {
            ServerKernelCpuSeconds = serverAfter.System - serverBefore.System,
            DrivingThreadBusy = driver?.LastDrivingThreadBusy ?? double.NaN,
        };
    }

    private string Describe(DiskMode mode) => mode switch
    {
        DiskMode.SyncEachBlock => $"fsync every {options.DiskBlockBytes / 1024} KiB",
        DiskMode.SyncAtEnd => $"{options.DiskBlockBytes / 1024} KiB writes, one fsync at the end",
        _ => $"buffered {options.DiskBlockBytes / 1024} KiB writes, no fsync",
    };

    private static string Busy(PhaseSample sample) =>
        double.IsNaN(sample.DrivingThreadBusy) ? "" : $", client thread {sample.DrivingThreadBusy:P0} running or runnable";

    private void Targets(CompareReport report) => report.Targets.AddRange(TargetEvaluation.Evaluate(report));

    private byte[] Payload(int size)
    {
        if (!_payloads.TryGetValue(size, out var payload))
        {
            payload = new byte[size];
            new Random(size).NextBytes(payload);
            _payloads[size] = payload;
        }

        return payload;
    }

    private string NextStream(int size) => $"bench-{size}-{Interlocked.Increment(ref _streamCounter)}-{Environment.ProcessId}";

    private void Log(string line) => output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    /// <summary>CPU, memory, kernel, .NET and librdkafka of this machine, for the report header.</summary>
    internal static string MachineDescription()
    {
        string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
        var cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var memory = Read("/proc/meminfo").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        return $"{Environment.ProcessorCount} × {cpu}, {memory} RAM, Linux {Read("/proc/sys/kernel/osrelease").Trim()}, .NET {Environment.Version}, librdkafka {Confluent.Kafka.Library.VersionString}";
    }

    private sealed record TargetSpec(string System, string Durability, string Description, Func<Task<ServerProcess>>? Start, Func<ServerProcess?, IBenchDriver> Driver);
}
