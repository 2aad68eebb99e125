using System.Diagnostics;
using Confluent.Kafka.Admin;
using Wharf.LoadGen.Drivers;
using Wharf.LoadGen.Servers;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Throughput through the cluster against a single-node Wharf in the same run: both get topics of
/// <see cref="ClusterOptions.ProducePartitions"/> partitions, the same flush mode and the same <see cref="KafkaDriver"/>
/// (compare's produce settings: one producer, acks=all, linger.ms=5, 1 KiB unkeyed messages); the cluster's clients
/// bootstrap with all brokers. Two shapes:
/// <list type="bullet">
/// <item><c>produce</c> (<see cref="RunAsync"/>): replication factor 1 everywhere: what spreading partitions over
/// brokers costs or gains.</item>
/// <item><c>replicated-produce</c> (<see cref="RunReplicatedAsync"/>): the cluster's topics have replication factor 3
/// and <c>min.insync.replicas=2</c>, so every acks=all produce waits for the followers' fetches (the single node has
/// nothing to wait for); after each produce run the same messages are consumed from the beginning, timed, to see
/// whether reading a replicated partition is slower.</item>
/// </list>
/// After a warm-up of each, measured runs alternate single node and cluster, each on a new topic, so drift in the
/// machine's load hits both alike. The message count per run is the single node's warm-up rate ×
/// <see cref="ClusterOptions.DurationSeconds"/>. A topic is used only once every broker lists it with leaders, so the
/// producer never waits for metadata. Server CPU is the sum over the brokers (not etcd).
/// Thread-safety: single-threaded orchestration.
/// </summary>
public static class ClusterProduce
{
    private const int Size = 1024;

    public static Task RunAsync(LocalCluster cluster, string wharfDll, ClusterOptions options, ClusterReport report, Action<string> log, CancellationToken cancellationToken) =>
        MeasureAsync(cluster, wharfDll, options, replicated: false, report, log, cancellationToken);

    public static Task RunReplicatedAsync(LocalCluster cluster, string wharfDll, ClusterOptions options, ClusterReport report, Action<string> log, CancellationToken cancellationToken) =>
        MeasureAsync(cluster, wharfDll, options, replicated: true, report, log, cancellationToken);

    private static async Task MeasureAsync(LocalCluster cluster, string wharfDll, ClusterOptions options, bool replicated, ClusterReport report, Action<string> log, CancellationToken cancellationToken)
    {
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        var payload = new byte[Size];
        new Random(Size).NextBytes(payload);
        await using var single = await Servers.Servers.StartWharfAsync(wharfDll, options.Scratch, options.FlushMode, []).ConfigureAwait(false);
        log($"   single node: pid {single.Pid}, port {single.Port}, log.flush.mode={options.FlushMode}");
        await using var singleDriver = new KafkaDriver($"127.0.0.1:{single.Port}");
        await using var clusterDriver = new KafkaDriver(cluster.BootstrapServers);
        var replicationFactor = replicated ? cluster.NodeIds.Count : 1;
        var clusterName = $"{cluster.NodeIds.Count}-broker cluster" + (replicated ? $", RF {replicationFactor}" : "");
        var targets = new[]
        {
            new Target("single node", singleDriver, () => ProcessStats.CpuSeconds(single.Pid), [new MetadataProbe("127.0.0.1", single.Port)],
                (topic, partitions) => singleDriver.CreateAsync(topic, partitions)),
            new Target(clusterName, clusterDriver, cluster.BrokerCpuSeconds, [.. cluster.NodeIds.Select(cluster.Probe)],
                replicated ? (topic, partitions) => CreateReplicatedAsync(cluster.BootstrapServers, topic, partitions, replicationFactor, log) : (topic, partitions) => clusterDriver.CreateAsync(topic, partitions)),
        };
        try
        {
            var warmUpRate = 0.0;
            foreach (var target in targets)
            {
                var (warmUp, _) = await ProduceAsync(target, options, options.WarmUpMessages, payload, consume: false, cancellationToken).ConfigureAwait(false);
                warmUpRate = warmUpRate == 0 ? warmUp.MessagesPerSecond : warmUpRate;
                log($"   {target.Name} warm-up: {options.WarmUpMessages:N0} × {Size} B at {warmUp.MessagesPerSecond:N0} msg/s");
            }

            var messages = Math.Max(10_000, (long)(warmUpRate * options.DurationSeconds));
            var produced = targets.ToDictionary(t => t.Name, _ => new List<PhaseSample>());
            var consumed = targets.ToDictionary(t => t.Name, _ => new List<PhaseSample>());
            for (var run = 1; run <= options.ProduceRuns; run++)
            {
                foreach (var target in targets)
                {
                    var (sample, consume) = await ProduceAsync(target, options, messages, payload, consume: replicated, cancellationToken).ConfigureAwait(false);
                    produced[target.Name].Add(sample);
                    log($"   {target.Name} run {run}: {messages:N0} × {Size} B at {sample.MessagesPerSecond,10:N0} msg/s ({sample.MegabytesPerSecond:N0} MB/s; brokers {sample.ServerCpuMicrosPerMessage:0.00} CPU-µs/msg, generator {sample.GeneratorCpuMicrosPerMessage:0.00}); load {sample.LoadAverage}");
                    if (consume is not null)
                    {
                        consumed[target.Name].Add(consume);
                        log($"   {target.Name} run {run}: consumed at {consume.MessagesPerSecond,10:N0} msg/s ({consume.MegabytesPerSecond:N0} MB/s; brokers {consume.ServerCpuMicrosPerMessage:0.00} CPU-µs/msg, generator {consume.GeneratorCpuMicrosPerMessage:0.00})");
                    }
                }
            }

            foreach (var target in targets)
            {
                var produceRow = ThroughputRow.From(target.Name, options.FlushMode, Size, "produce", options.ProducePartitions, 1, produced[target.Name]);
                if (!replicated)
                {
                    report.Produce.Add(produceRow);
                    continue;
                }

                report.ReplicatedProduce.Add(produceRow);
                report.ReplicatedConsume.Add(ThroughputRow.From(target.Name, options.FlushMode, Size, "consume", options.ProducePartitions, 1, consumed[target.Name]));
            }
        }
        finally
        {
            foreach (var target in targets)
            {
                target.Probes.ForEach(p => p.Dispose());
            }
        }
    }

    /// <summary>A topic with <paramref name="replicationFactor"/> replicas per partition and <c>min.insync.replicas=2</c>.</summary>
    private static async Task CreateReplicatedAsync(string bootstrapServers, string topic, int partitions, int replicationFactor, Action<string> log)
    {
        using var admin = ClusterAdmin.Connect(bootstrapServers, log);
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = (short)replicationFactor, Configs = new() { ["min.insync.replicas"] = "2" } }],
            ClusterAdmin.CreateOptions).ConfigureAwait(false);
    }

    /// <summary>Produces <paramref name="messages"/> to a new topic, then (with <paramref name="consume"/>) reads them
    /// all back from the beginning; each phase timed on its own.</summary>
    private static async Task<(PhaseSample Produce, PhaseSample? Consume)> ProduceAsync(Target target, ClusterOptions options, long messages, byte[] payload, bool consume, CancellationToken cancellationToken)
    {
        var topic = $"produce-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32];
        await target.Create(topic, options.ProducePartitions).ConfigureAwait(false);
        try
        {
            await MetadataPolling.UntilEachAsync(target.Probes, [topic], v => v.IsLed(topic, options.ProducePartitions), Stopwatch.GetTimestamp(),
                TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var produce = await TimeAsync(target, messages, payload.Length, () => target.Driver.ProduceAsync(topic, messages, payload, producers: 1)).ConfigureAwait(false);
            var read = consume
                ? await TimeAsync(target, messages, payload.Length, () => target.Driver.ConsumeAsync(topic, messages, options.ProducePartitions)).ConfigureAwait(false)
                : null;
            return (produce, read);
        }
        finally
        {
            await target.Driver.DeleteAsync(topic).ConfigureAwait(false);
        }
    }

    private static async Task<PhaseSample> TimeAsync(Target target, long messages, int size, Func<Task> phase)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var load = ProcessStats.LoadAverage();
        var serverBefore = target.ServerCpuSeconds();
        var ownBefore = ProcessStats.OwnCpuSeconds();
        var clock = Stopwatch.StartNew();
        await phase().ConfigureAwait(false);
        clock.Stop();
        return new PhaseSample(clock.Elapsed.TotalSeconds, messages, messages * size, target.ServerCpuSeconds() - serverBefore, ProcessStats.OwnCpuSeconds() - ownBefore, load)
        {
            DrivingThreadBusy = target.Driver.LastDrivingThreadBusy ?? double.NaN,
        };
    }

    private sealed record Target(string Name, KafkaDriver Driver, Func<double> ServerCpuSeconds, List<MetadataProbe> Probes, Func<string, int, Task> Create);
}
