using System.Diagnostics;
using Wharf.LoadGen.Drivers;
using Wharf.LoadGen.Servers;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Produce throughput through the cluster against a single-node Wharf in the same run: both get the same topic shape
/// (<see cref="ClusterOptions.ProducePartitions"/> partitions, replication factor 1), the same flush mode and the same
/// <see cref="KafkaDriver"/> (compare's produce settings: one producer, acks=all, linger.ms=5, 1 KiB unkeyed messages);
/// the cluster's producer bootstraps with all brokers. After a warm-up of each, measured runs alternate single node and
/// cluster, each on a new topic, so drift in the machine's load hits both alike. The message count per run is the single
/// node's warm-up rate × <see cref="ClusterOptions.DurationSeconds"/>. A topic is used only once every broker lists it
/// with leaders, so the producer never waits for metadata. Server CPU is the sum over the brokers (not etcd).
/// Thread-safety: single-threaded orchestration.
/// </summary>
public static class ClusterProduce
{
    private const int Size = 1024;

    public static async Task RunAsync(LocalCluster cluster, string wharfDll, ClusterOptions options, ClusterReport report, Action<string> log, CancellationToken cancellationToken)
    {
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        var payload = new byte[Size];
        new Random(Size).NextBytes(payload);
        await using var single = await Servers.Servers.StartWharfAsync(wharfDll, options.Scratch, options.FlushMode, []).ConfigureAwait(false);
        log($"   single node: pid {single.Pid}, port {single.Port}, log.flush.mode={options.FlushMode}");
        await using var singleDriver = new KafkaDriver($"127.0.0.1:{single.Port}");
        await using var clusterDriver = new KafkaDriver(cluster.BootstrapServers);
        var targets = new[]
        {
            new Target("single node", singleDriver, () => ProcessStats.CpuSeconds(single.Pid), [new MetadataProbe("127.0.0.1", single.Port)]),
            new Target($"{cluster.NodeIds.Count}-broker cluster", clusterDriver, cluster.BrokerCpuSeconds, [.. cluster.NodeIds.Select(cluster.Probe)]),
        };
        try
        {
            var warmUpRate = 0.0;
            foreach (var target in targets)
            {
                var warmUp = await ProduceAsync(target, options, options.WarmUpMessages, payload, cancellationToken).ConfigureAwait(false);
                warmUpRate = warmUpRate == 0 ? warmUp.MessagesPerSecond : warmUpRate;
                log($"   {target.Name} warm-up: {options.WarmUpMessages:N0} × {Size} B at {warmUp.MessagesPerSecond:N0} msg/s");
            }

            var messages = Math.Max(10_000, (long)(warmUpRate * options.DurationSeconds));
            var samples = targets.ToDictionary(t => t.Name, _ => new List<PhaseSample>());
            for (var run = 1; run <= options.ProduceRuns; run++)
            {
                foreach (var target in targets)
                {
                    var sample = await ProduceAsync(target, options, messages, payload, cancellationToken).ConfigureAwait(false);
                    samples[target.Name].Add(sample);
                    log($"   {target.Name} run {run}: {messages:N0} × {Size} B at {sample.MessagesPerSecond,10:N0} msg/s ({sample.MegabytesPerSecond:N0} MB/s; brokers {sample.ServerCpuMicrosPerMessage:0.00} CPU-µs/msg, generator {sample.GeneratorCpuMicrosPerMessage:0.00}); load {sample.LoadAverage}");
                }
            }

            foreach (var target in targets)
            {
                report.Produce.Add(ThroughputRow.From(target.Name, options.FlushMode, Size, "produce", options.ProducePartitions, 1, samples[target.Name]));
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

    private static async Task<PhaseSample> ProduceAsync(Target target, ClusterOptions options, long messages, byte[] payload, CancellationToken cancellationToken)
    {
        var topic = $"produce-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32];
        await target.Driver.CreateAsync(topic, options.ProducePartitions).ConfigureAwait(false);
        try
        {
            await MetadataPolling.UntilEachAsync(target.Probes, [topic], v => v.IsLed(topic, options.ProducePartitions), Stopwatch.GetTimestamp(),
                TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var load = ProcessStats.LoadAverage();
            var serverBefore = target.ServerCpuSeconds();
            var ownBefore = ProcessStats.OwnCpuSeconds();
            var clock = Stopwatch.StartNew();
            await target.Driver.ProduceAsync(topic, messages, payload, producers: 1).ConfigureAwait(false);
            clock.Stop();
            return new PhaseSample(clock.Elapsed.TotalSeconds, messages, messages * payload.Length, target.ServerCpuSeconds() - serverBefore, ProcessStats.OwnCpuSeconds() - ownBefore, load)
            {
                DrivingThreadBusy = target.Driver.LastDrivingThreadBusy ?? double.NaN,
            };
        }
        finally
        {
            await target.Driver.DeleteAsync(topic).ConfigureAwait(false);
        }
    }

    private sealed record Target(string Name, KafkaDriver Driver, Func<double> ServerCpuSeconds, List<MetadataProbe> Probes);
}
