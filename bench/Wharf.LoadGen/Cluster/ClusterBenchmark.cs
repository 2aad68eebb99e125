using System.Diagnostics;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// The whole <c>cluster</c> run: builds Wharf if needed, starts etcd and the brokers (<see cref="LocalCluster"/>), runs
/// the chosen measurements in order (<see cref="ClusterOptions.AllScenarios"/>), each checking first that the cluster
/// is healthy, and writes the tables to the console and <c>results/cluster-NAME.log</c>, the figures to
/// <c>results/cluster-NAME.json</c>, and every server's whole output to <c>SCRATCH/cluster-NAME-logs/</c>. A measurement that fails is noted and the next one runs. Every process is stopped at
/// the end, on Ctrl+C or SIGTERM too (the results gathered so far are still written).
/// Exit code: 0 when every measurement completed (targets met or not — the table says), 4 when one did not, 130 when
/// cancelled.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public sealed class ClusterBenchmark(ClusterOptions options, TextWriter output)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = Servers.Servers.RepositoryRoot();
        var started = DateTimeOffset.UtcNow;
        var name = options.Name ?? $"{started:yyyyMMdd-HHmmss}";
        var results = Path.Combine(root, "bench", "Wharf.LoadGen", "results");
        Directory.CreateDirectory(results);
        Directory.CreateDirectory(options.Scratch);
        using var runLog = new RunLog(output, Path.Combine(results, $"cluster-{name}.log"));
        var log = runLog.Log;
        var report = new ClusterReport
        {
            StartedUtc = started,
            Machine = Comparison.MachineDescription(),
            Revision = SourceRevision.Of(root),
            EtcdVersion = EtcdVersion(),
            LoadAverageAtStart = ProcessStats.LoadAverage(),
            Options = options,
        };
        log($"machine: {report.Machine}; {report.EtcdVersion}; load average {report.LoadAverageAtStart}");
        log($"source: {report.Revision.Describe()}");
        var wharfDll = Servers.Servers.EnsureWharfBuilt(root, log);
        var cancelled = false;
        LocalCluster? cluster = null;
        try
        {
            log($"== starting etcd and {options.Brokers} brokers");
            cluster = await LocalCluster.StartAsync(wharfDll, options.Scratch, Path.Combine(options.Scratch, $"cluster-{name}-logs"), options.Brokers, options.FlushMode, log).ConfigureAwait(false);
            foreach (var scenario in ClusterOptions.AllScenarios.Where(options.Only.Contains))
            {
                cancellationToken.ThrowIfCancellationRequested();
                log($"== {scenario}; load average {ProcessStats.LoadAverage()}");
                cluster.SetPhase(scenario);
                try
                {
                    await RunScenarioAsync(scenario, cluster, wharfDll, report, log, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var note = $"{scenario} did not complete: {e.GetType().Name}: {e.Message}";
                    log("   " + note);
                    foreach (var node in cluster.NodeIds)
                    {
                        log($"   broker {node} output:\n{cluster.RecentOutput(node)}");
                    }

                    report.Notes.Add(note);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            report.Notes.Add("cancelled (Ctrl+C or SIGTERM): the figures are partial");
            log("cancelled; stopping every process");
        }
        catch (Exception e) when (cluster is null)
        {
            report.Notes.Add($"the cluster did not start: {e.GetType().Name}: {e.Message}");
            log(report.Notes[^1]);
        }
        finally
        {
            if (cluster is not null)
            {
                cluster.SetPhase("shutdown");
                await cluster.DisposeAsync().ConfigureAwait(false);
                report.ProcessLogs.AddRange(cluster.BrokerOutputs.Append(cluster.EtcdOutput).Select(o => new ProcessLogSummary(o.Name, o.Path, o.Count, o.Lines)));
            }
        }

        report.FinishedUtc = DateTimeOffset.UtcNow;
        report.LoadAverageAtEnd = ProcessStats.LoadAverage();
        report.Targets.AddRange(ClusterTargets.Evaluate(report));
        runLog.Write("");
        runLog.Write(ClusterReportWriter.Table(report));
        var json = Path.Combine(results, $"cluster-{name}.json");
        await File.WriteAllTextAsync(json, ReportWriter.Json(report), CancellationToken.None).ConfigureAwait(false);
        runLog.Write($"JSON: {json}\nLog: {runLog.Path}");
        return cancelled ? 130 : report.Notes.Count > 0 ? RunVerdict.TargetFailed : RunVerdict.Success;
    }

    private Task RunScenarioAsync(string scenario, LocalCluster cluster, string wharfDll, ClusterReport report, Action<string> log, CancellationToken cancellationToken) => scenario switch
    {
        "failover" => ControllerFailover.RunAsync(cluster, options, report, log, cancellationToken),
        "visibility" => TopicVisibility.RunAsync(cluster, options, report, log, cancellationToken),
        "produce" => ClusterProduce.RunAsync(cluster, wharfDll, options, report, log, cancellationToken),
        "replicated-produce" => ClusterProduce.RunReplicatedAsync(cluster, wharfDll, options, report, log, cancellationToken),
        "leader-kill" => LeaderFailover.RunAsync(cluster, options, LeaderFailover.Kill, report, log, cancellationToken),
        "leader-sigterm" => LeaderFailover.RunAsync(cluster, options, LeaderFailover.Sigterm, report, log, cancellationToken),
        "scale" => PartitionScale.RunAsync(cluster, options, report, log, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown measurement"),
    };

    /// <summary>"etcd 3.4.23" from <c>etcd --version</c>.</summary>
    /// <exception cref="InvalidOperationException">etcd is not on the PATH.</exception>
    private static string EtcdVersion()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("etcd", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var first = process.StandardOutput.ReadLine() ?? "";
            process.WaitForExit();
            return first.Replace("etcd Version:", "etcd", StringComparison.Ordinal).Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("etcd is not on the PATH (Debian: apt-get install etcd-server)", e);
        }
    }
}
