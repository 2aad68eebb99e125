using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Testing.Faults.History;
using Wharf.Testing.Faults.Nemesis;
using Wharf.Testing.Faults.Workloads;

namespace Wharf.Testing.Faults;

/// <summary>What one <see cref="FaultRun"/> did and found. Immutable.</summary>
public sealed record FaultRunResult(
    FaultRunOptions Options,
    FaultSchedule Schedule,
    IReadOnlyList<FaultEvent> Events,
    CheckResult Check,
    string HistoryPath,
    IReadOnlyList<string> UndrainedPartitions,
    TimeSpan Elapsed)
{
    public string Describe() =>
        $"seed {Options.Seed}, nemeses [{string.Join(", ", Options.Nemeses)}], {Events.Count} fault events in {Elapsed.TotalSeconds:0} s, history {HistoryPath}\n" +
        (UndrainedPartitions.Count > 0 ? $"not drained to the end: {string.Join(", ", UndrainedPartitions)}\n" : string.Empty) +
        Check.Describe() + "\nfault events:\n" +
        string.Join('\n', Events.Select(e => string.Create(CultureInfo.InvariantCulture, $"  {e.Time / 1000.0,7:0.0}s {e.Description}")));
}

/// <summary>
/// One fault run against a cluster started with fault proxies: creates a topic and its copy topic (replication factor
/// 3, <c>min.insync.replicas=2</c>, set explicitly), runs the workloads (idempotent writers, an assign-everything
/// reader, a committing group consumer, a transactional copier) while a <see cref="Nemesis"/> plays a seeded
/// <see cref="FaultSchedule"/>, then stops the workloads, heals everything, drains every partition to its end and checks
/// the history. Thread-safety: one run per cluster at a time.
/// </summary>
public static class FaultRun
{
    public const short ReplicationFactor = 3;

    private static readonly TimeSpan WorkloadStopTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Starts the cluster for <paramref name="options"/> (3 brokers, fault proxies, 3 etcd members when an etcd member is to be killed).</summary>
    public static Task<WharfCluster> StartClusterAsync(FaultRunOptions options, CancellationToken cancellationToken = default) =>
        WharfCluster.StartAsync(
            new WharfClusterOptions
            {
                Brokers = 3,
                FaultProxies = true,
                EtcdMembers = options.Nemeses.Contains(NemesisKind.KillEtcdMember) ? 3 : 1,
                Settings = new Dictionary<string, string> { ["num.partitions"] = options.Partitions.ToString(CultureInfo.InvariantCulture) },
            },
            cancellationToken);

    public static async Task<FaultRunResult> RunAsync(WharfCluster cluster, FaultRunOptions options, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var historyPath = options.HistoryPath ?? Path.Combine(Path.GetTempPath(), $"wharf-fault-{options.Seed}-{Guid.NewGuid():N}.jsonl");
        using var history = new HistoryRecorder(historyPath);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var context = new WorkloadContext(cluster.BootstrapServers, $"fault-{suffix}", $"fault-copy-{suffix}", options.Partitions, history, options.Seed);
        await CreateTopicsAsync(cluster, context, cancellationToken).ConfigureAwait(false);
        var schedule = FaultSchedule.Generate(options.Seed, options.Nemeses, options.Duration, options.FaultDuration, options.Quiet);
        options.Log?.WriteLine($"fault run: {schedule}");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workloads = new Dictionary<string, Task>();
        for (var i = 1; i <= options.Writers; i++)
        {
            var writer = new ProducerWorkload(context, $"w{i}", options.SendInterval);
            workloads[$"w{i}"] = Task.Run(() => writer.RunAsync(stop.Token), CancellationToken.None);
        }

        workloads["r1"] = Dedicated(new AssignReader(context, "r1", [context.Topic, context.CopyTopic]).Run, stop.Token);
        if (options.GroupConsumer)
        {
            workloads["g1"] = Dedicated(new GroupConsumerWorkload(context, "g1", TimeSpan.FromSeconds(1)).Run, stop.Token);
        }

        if (options.Transactions)
        {
            workloads["t1"] = Dedicated(new TransactionalCopier(context, "t1", options.AbortShare).Run, stop.Token);
        }

        var nemesis = new Nemesis.Nemesis(cluster, context.Topic, options.Partitions, history);
        try
        {
            await nemesis.RunAsync(schedule, cancellationToken).ConfigureAwait(false);
            var remaining = options.Duration - TimeSpan.FromMilliseconds(history.Now);
            if (remaining > TimeSpan.Zero)
            {
                // The workload's own length, not a wait for a state.
                await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            options.Log?.WriteLine("fault run: healing");
            await nemesis.HealEverythingAsync(CancellationToken.None).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await StopAsync(workloads, options.Log).ConfigureAwait(false);
        }

        options.Log?.WriteLine("fault run: draining");
        var undrained = await new AssignReader(context, "drain", [context.Topic, context.CopyTopic]).DrainAsync(options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        var check = HistoryChecker.Check(history.Snapshot());
        return new FaultRunResult(options, schedule, nemesis.Events, check, historyPath, [.. undrained.Select(p => $"{p.Topic}-{p.Partition.Value}")], clock.Elapsed);
    }

    private static async Task CreateTopicsAsync(WharfCluster cluster, WorkloadContext context, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = context.BootstrapServers }).SetLogHandler(WorkloadContext.Quiet).Build();
        var config = new Dictionary<string, string> { ["min.insync.replicas"] = "2", ["unclean.leader.election.enable"] = "false" };
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification { Name = context.Topic, NumPartitions = context.Partitions, ReplicationFactor = ReplicationFactor, Configs = config },
            new TopicSpecification { Name = context.CopyTopic, NumPartitions = context.Partitions, ReplicationFactor = ReplicationFactor, Configs = config },
        ]).ConfigureAwait(false);
        var ready = await LocalProcesses.WaitUntilAsync(
            async token =>
            {
                foreach (var topic in new[] { context.Topic, context.CopyTopic })
                {
                    var leaders = await PartitionLeaders.AskAsync(cluster, cluster.RunningNodeIds, topic, token).ConfigureAwait(false);
                    if (leaders is null || leaders.Count != context.Partitions || leaders.Values.Any(l => l.Leader < 0 || l.Replicas.Count != ReplicationFactor))
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(30),
            cancellationToken).ConfigureAwait(false);
        if (!ready)
        {
            throw new TimeoutException($"topics {context.Topic} and {context.CopyTopic} did not get a leader and {ReplicationFactor} replicas for every partition");
        }
    }

    /// <summary>
    /// Waits for the stopped workloads, but not forever: a client stuck in a librdkafka call (a close that waits for an
    /// unreachable coordinator) is left behind on its own thread and named, so the run still drains and checks.
    /// </summary>
    private static async Task StopAsync(Dictionary<string, Task> workloads, TextWriter? log)
    {
        var all = Task.WhenAll(workloads.Values);
        if (await Task.WhenAny(all, Task.Delay(WorkloadStopTimeout)).ConfigureAwait(false) == all)
        {
            await all.ConfigureAwait(false);
            return;
        }

        log?.WriteLine($"fault run: workloads still running {WorkloadStopTimeout.TotalSeconds:0} s after stop: {string.Join(", ", workloads.Where(w => !w.Value.IsCompleted).Select(w => w.Key))}");
        foreach (var failed in workloads.Where(w => w.Value.IsFaulted))
        {
            log?.WriteLine($"fault run: workload {failed.Key} failed: {failed.Value.Exception?.InnerException?.Message}");
        }
    }

    /// <summary>Runs a workload on its own thread: the consumers block in librdkafka calls and must not starve the pool.</summary>
    private static Task Dedicated(Action<CancellationToken> run, CancellationToken stop) =>
        Task.Factory.StartNew(() => run(stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
