using System.Diagnostics;
using Wharf.LoadGen.Cluster;
using Wharf.LoadGen.Servers;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// The whole <c>queue</c> run (point-to-point: each message to exactly one of several consumers, acknowledged one by
/// one). Per target — RabbitMQ quorum queue, RabbitMQ classic durable queue, NATS JetStream work queue, Wharf share
/// group — it starts a fresh server (own ports, own data directory under the scratch directory), runs one unmeasured
/// warm-up, then N runs of: a new queue; produce every message with a durable acknowledgement (timed); consume them
/// with the configured number of consumers, each acknowledging every message individually (timed); the exactly-once
/// check (<see cref="QueueTally"/>, plus what the broker still holds); delete the queue. Every phase records the
/// broker's CPU over its whole process tree and this generator's, and is bounded by the phase time-out (a consume
/// phase also by the stall time-out). Servers are stopped by pid at the end of their target, on Ctrl+C or SIGTERM too.
/// Writes the tables to the console and <c>results/queue-NAME.log</c>, the figures to <c>results/queue-NAME.json</c>.
/// Exit code: <see cref="QueueReport.ExitCode"/>, 130 when cancelled.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public sealed class QueueBenchmark(QueueOptions options, TextWriter output)
{
    private Action<string> _log = _ => { };

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = Servers.Servers.RepositoryRoot();
        var started = DateTimeOffset.UtcNow;
        var name = options.Name ?? $"{started:yyyyMMdd-HHmmss}";
        var results = Path.Combine(root, "bench", "Wharf.LoadGen", "results");
        Directory.CreateDirectory(results);
        Directory.CreateDirectory(options.Scratch);
        using var runLog = new RunLog(output, Path.Combine(results, $"queue-{name}.log"));
        _log = runLog.Log;
        var report = new QueueReport
        {
            StartedUtc = started,
            Machine = Comparison.MachineDescription(),
            Revision = SourceRevision.Of(root),
            LoadAverageAtStart = ProcessStats.LoadAverage(),
            Options = options,
        };
        _log($"machine: {report.Machine}; load average {report.LoadAverageAtStart}");
        _log($"source: {report.Revision.Describe()}");
        var cancelled = false;
        try
        {
            var wharfDll = options.Only.Contains(QueueSystems.Wharf) ? Servers.Servers.EnsureWharfBuilt(root, _log) : "";
            var packages = new List<string>();
            if (options.Only.Any(o => o.StartsWith("rabbitmq", StringComparison.Ordinal)))
            {
                packages.Add("rabbitmq-server");
            }

            if (options.Only.Contains(QueueSystems.Nats))
            {
                packages.Add("nats-server");
            }

            Servers.Servers.EnsurePackages(packages, _log);
            foreach (var target in Targets(wharfDll))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await RunTargetAsync(target, report, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            report.Notes.Add("cancelled (Ctrl+C or SIGTERM): the figures are partial");
            _log("cancelled; servers stopped");
        }

        report.FinishedUtc = DateTimeOffset.UtcNow;
        report.LoadAverageAtEnd = ProcessStats.LoadAverage();
        report.Targets.AddRange(QueueTargets.Evaluate(report.Rows));
        runLog.Write("");
        runLog.Write(QueueReportWriter.Table(report));
        var json = Path.Combine(results, $"queue-{name}.json");
        await File.WriteAllTextAsync(json, ReportWriter.Json(report), CancellationToken.None).ConfigureAwait(false);
        runLog.Write($"JSON: {json}\nLog: {runLog.Path}");
        if (report.ExitCode != RunVerdict.Success)
        {
            runLog.Write($"FAILED (exit {report.ExitCode}): {string.Join(" | ", report.Notes)}");
        }

        return cancelled ? 130 : report.ExitCode;
    }

    /// <summary>
    /// The systems measured, in <see cref="QueueOptions.AllTargets"/> order. To add one: a driver implementing
    /// <see cref="IQueueBenchDriver"/>, a name in <see cref="QueueSystems"/> and <see cref="QueueOptions.AllTargets"/>,
    /// and a case here.
    /// </summary>
    private IEnumerable<QueueTarget> Targets(string wharfDll)
    {
        foreach (var system in QueueOptions.AllTargets.Where(options.Only.Contains))
        {
            switch (system)
            {
                case QueueSystems.RabbitMqQuorum:
                case QueueSystems.RabbitMqClassic:
                    var quorum = system == QueueSystems.RabbitMqQuorum;
                    yield return new QueueTarget(
                        system,
                        quorum ? "quorum queue, confirm after WAL fsync" : $"classic durable queue v{options.RabbitClassicVersion}, persistent, confirm after fsync",
                        StartRabbitMqAsync,
                        port => new RabbitMqQueueDriver(port, quorum, options.RabbitConfirmWindow, (ushort)options.RabbitPrefetch, options.RabbitClassicVersion));
                    break;
                case QueueSystems.Nats:
                    yield return new QueueTarget(
                        system,
                        "work-queue stream, file store, ack before fsync (2.9: fsync every 2 min)",
                        StartNatsAsync,
                        port => new NatsWorkQueueDriver(port, options.NatsPublishWindow, options.NatsPullMessages, options.NatsPullThreshold, options.EffectiveNatsMaxAckPending));
                    break;
                case QueueSystems.Wharf:
                    yield return new QueueTarget(
                        system,
                        "share group, log.flush.mode=ack (fsync before ack)",
                        () => StartWharfAsync(wharfDll),
                        port => new WharfShareGroupDriver($"127.0.0.1:{port}", options.WharfPartitions, options.WharfMaxPollRecords, options.WharfFetchMaxBytes, options.WharfCommit));
                    break;
            }
        }
    }

    private async Task RunTargetAsync(QueueTarget target, QueueReport report, CancellationToken cancellationToken)
    {
        _log($"== {target.System} ({target.Durability}); load average {ProcessStats.LoadAverage()}");
        var broker = await target.Start().ConfigureAwait(false);
        try
        {
            report.ServerVersions[target.System] = broker.Version;
            _log($"   {broker.Version}, pid {broker.Process.Pid}, port {broker.Process.Port}, data {broker.Process.DataDirectory}");
            await using var driver = target.Driver(broker.Process.Port);
            if (!driver.SupportsConsume)
            {
                report.Skipped.Add(target.System);
                _log($"   {target.System}: its driver cannot consume yet; produce only, consume targets read n/a");
            }

            if (options.WarmUpMessages > 0)
            {
                var (p, c, _) = await RunOnceAsync(target, broker, driver, options.WarmUpMessages, 0, cancellationToken).ConfigureAwait(false);
                _log($"   warm-up: produce {p.MessagesPerSecond:N0} msg/s{(c is null ? "" : $", consume {c.MessagesPerSecond:N0} msg/s")}");
            }

            var produce = new List<PhaseSample>();
            var consume = new List<PhaseSample>();
            for (var run = 1; run <= options.Runs; run++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (p, c, delivery) = await RunOnceAsync(target, broker, driver, options.Messages, run, cancellationToken).ConfigureAwait(false);
                produce.Add(p);
                if (c is not null)
                {
                    consume.Add(c);
                }

                if (delivery is not null)
                {
                    report.Deliveries.Add(new QueueDelivery(target.System, run, delivery));
                }

                _log($"   run {run}: produce {p.MessagesPerSecond,9:N0} msg/s (broker {p.ServerCpuMicrosPerMessage:0.00} µs/msg, gen {p.GeneratorCpuMicrosPerMessage:0.00})"
                    + (c is null ? "" : $"; consume {c.MessagesPerSecond,9:N0} msg/s (broker {c.ServerCpuMicrosPerMessage:0.00} µs/msg, gen {c.GeneratorCpuMicrosPerMessage:0.00})")
                    + $"; load {p.LoadAverage}");
            }

            report.Rows.Add(QueueRow.From(target.System, target.Durability, QueueRow.Produce, 1, produce));
            if (consume.Count > 0)
            {
                report.Rows.Add(QueueRow.From(target.System, target.Durability, QueueRow.Consume, options.Consumers, consume));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var note = $"{target.System} failed: {e.GetType().Name}: {e.Message}";
            _log("   " + note);
            _log("   server output:\n" + broker.Process.RecentOutput());
            report.Notes.Add(note);
            if (e is QueueDeliveryException)
            {
                report.DeliveryFailures.Add(note);
            }
        }
        finally
        {
            await broker.Owner.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One queue: produce <paramref name="count"/> (timed), consume them all (timed) and check exactly-once,
    /// delete it. Run 0 is the warm-up: checked as strictly, not recorded.</summary>
    private async Task<(PhaseSample Produce, PhaseSample? Consume, QueueDeliveryResult? Delivery)> RunOnceAsync(
        QueueTarget target, Broker broker, IQueueBenchDriver driver, long count, int run, CancellationToken cancellationToken)
    {
        var queue = $"bench-{target.System}-{run}-{Environment.ProcessId}";
        var runTag = Random.Shared.NextInt64();
        var bytes = count * options.Size;
        await driver.CreateQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        try
        {
            var produce = await MeasureAsync(broker, count, bytes, token => driver.ProduceAsync(queue, count, options.Size, runTag, token), "produce", cancellationToken).ConfigureAwait(false);
            if (!driver.SupportsConsume)
            {
                return (produce, null, null);
            }

            var tally = new QueueTally(count, runTag, options.Consumers);
            PhaseSample consume;
            await using (var consumers = await driver.ConnectConsumersAsync(queue, options.Consumers, cancellationToken).ConfigureAwait(false))
            {
                consume = await MeasureAsync(broker, count, bytes, token => ConsumeWatchingAsync(consumers, tally, token), "consume", cancellationToken).ConfigureAwait(false);
            }

            var left = await driver.LeftInQueueAsync(queue, cancellationToken).ConfigureAwait(false);
            var delivery = tally.Result(left);
            if (!delivery.ExactlyOnce)
            {
                throw new QueueDeliveryException($"{target.System} run {run}: {delivery}");
            }

            return (produce, consume, delivery);
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await driver.DeleteQueueAsync(queue, cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || cleanup.IsCancellationRequested)
            {
                _log($"   could not delete {queue}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>Runs the consume phase, cancelling it when no new message arrived for the stall time-out.</summary>
    private async Task ConsumeWatchingAsync(IQueueConsumers consumers, QueueTally tally, CancellationToken cancellationToken)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consuming = consumers.ConsumeAsync(tally, stall.Token);
        var seen = -1L;
        var progress = Stopwatch.StartNew();
        while (!consuming.IsCompleted)
        {
            await Task.WhenAny(consuming, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
            if (tally.Distinct != seen)
            {
                seen = tally.Distinct;
                progress.Restart();
            }
            else if (progress.Elapsed > options.StallTimeout)
            {
                await stall.CancelAsync().ConfigureAwait(false);
                break;
            }
        }

        try
        {
            await consuming.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"consume stalled ({options.StallTimeout.TotalSeconds:0} s without a new message): {tally.Result(-1)}");
        }
    }

    /// <summary>Times one phase, bounded by the phase time-out, with the broker's CPU over its process tree and this
    /// process's CPU read before and after.</summary>
    private async Task<PhaseSample> MeasureAsync(Broker broker, long messages, long bytes, Func<CancellationToken, Task> phase, string what, CancellationToken cancellationToken)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PhaseTimeout);
        var load = ProcessStats.LoadAverage();
        var serverBefore = ProcessStats.TreeCpuSeconds(broker.Process.Pid);
        var ownBefore = ProcessStats.OwnCpuSeconds();
        var clock = Stopwatch.StartNew();
        try
        {
            await phase(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} did not finish within {options.PhaseTimeout.TotalSeconds:0} s");
        }

        clock.Stop();
        var serverCpu = ProcessStats.TreeCpuSeconds(broker.Process.Pid) - serverBefore;
        var ownCpu = ProcessStats.OwnCpuSeconds() - ownBefore;
        return new PhaseSample(clock.Elapsed.TotalSeconds, messages, bytes, serverCpu, ownCpu, load);
    }

    private async Task<Broker> StartRabbitMqAsync()
    {
        var server = await RabbitMqServer.StartAsync(options.Scratch).ConfigureAwait(false);
        return new Broker(server.Node, server, server.Version);
    }

    private async Task<Broker> StartNatsAsync()
    {
        var server = await Servers.Servers.StartNatsAsync(options.Scratch).ConfigureAwait(false);
        return new Broker(server, server, CommandVersion("nats-server", "--version"));
    }

    private async Task<Broker> StartWharfAsync(string wharfDll)
    {
        var server = await Servers.Servers.StartWharfAsync(wharfDll, options.Scratch, "ack", []).ConfigureAwait(false);
        return new Broker(server, server, "Wharf (this commit), log.flush.mode=ack");
    }

    /// <summary>The first line a command prints, e.g. "nats-server: v2.9.10".</summary>
    private static string CommandVersion(string command, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, argument) { RedirectStandardOutput = true, UseShellExecute = false })!;
            var first = process.StandardOutput.ReadLine() ?? command;
            process.WaitForExit();
            return first.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return command;
        }
    }

    /// <summary>A started server: the process whose tree is the broker, what stops it, and its version.</summary>
    private sealed record Broker(ServerProcess Process, IAsyncDisposable Owner, string Version);

    private sealed record QueueTarget(string System, string Durability, Func<Task<Broker>> Start, Func<int, IQueueBenchDriver> Driver);
}

/// <summary>A consume phase lost, duplicated or invented messages, or left some in the queue; its figures must not be reported.</summary>
public sealed class QueueDeliveryException(string message) : Exception($"delivery check failed: {message}");
