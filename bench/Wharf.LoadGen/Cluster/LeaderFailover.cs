using System.Diagnostics;
using Confluent.Kafka.Admin;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// How long a producer cannot write to a partition whose leader is stopped, with the brokers' default settings: a
/// topic of one partition per broker, replication factor 3 and <c>min.insync.replicas=2</c>; a
/// <see cref="PacedProducer"/> (idempotent, acks=all) writes to one partition; once it has 500 acknowledgements the
/// partition's leader is stopped — <c>kill -9</c> (<c>leader-kill</c>) or SIGTERM, Wharf's controlled shutdown
/// (<c>leader-sigterm</c>). A survivor's Metadata is polled every 5 ms meanwhile for when the broker side named a new
/// leader. The producer goes on until a message sent after the signal and one sent after that new leader was named
/// have been acknowledged, then half a second more; the figure is <see cref="Unavailability.LargestGapSeconds"/>, the
/// largest gap between acknowledgements from the last one before the signal to the end (see
/// <see cref="Unavailability"/> for it and the other figures recorded).
/// Most runs stop a leader that is not the controller; every fourth run from the third (3, 7, …) stops one that is, as
/// the controller's own failover then comes first. The stopped broker is started again and, before the next run, the
/// cluster must be healthy and the broker back in the partition's ISR (up to <see cref="ClusterOptions.IsrWaitSeconds"/>);
/// when it does not come back, that is recorded and the next run uses a new topic, whose ISR is whole.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public static class LeaderFailover
{
    public const string Kill = "kill -9";
    public const string Sigterm = "SIGTERM";

    private const int AcknowledgedBeforeStop = 500;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan FailoverTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan AfterHandOver = TimeSpan.FromMilliseconds(500);

    public static async Task RunAsync(LocalCluster cluster, ClusterOptions options, string signal, ClusterReport report, Action<string> log, CancellationToken cancellationToken)
    {
        await cluster.WaitHealthyAsync(SettleTimeout, cancellationToken).ConfigureAwait(false);
        var phase = signal == Kill ? "leader-kill" : "leader-sigterm";
        var topics = new List<string>();
        using var admin = ClusterAdmin.Connect(cluster.BootstrapServers, log);
        try
        {
            for (var run = 1; run <= options.Runs; run++)
            {
                var controller = await cluster.WaitHealthyAsync(SettleTimeout, cancellationToken).ConfigureAwait(false);
                TopicView? topic = topics.Count == 0 ? null : await WholeIsrAsync(cluster, controller, topics[^1], cancellationToken).ConfigureAwait(false);
                if (topic is null)
                {
                    var name = $"failover-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32];
                    if (topics.Count > 0)
                    {
                        log($"   {topics[^1]} no longer has every broker in the ISR of each partition; run {run} uses a new topic, {name}");
                    }

                    topic = await CreateAsync(admin, cluster, name, cancellationToken).ConfigureAwait(false);
                    topics.Add(name);
                }

                var partition = Choose(topic, controller, controllerWanted: run % 4 == 3);
                cluster.SetPhase($"{phase} run {run}");
                var sample = await StopLeaderAsync(cluster, options, signal, run, topic.Name, partition, controller, log, cancellationToken).ConfigureAwait(false);
                report.LeaderFailovers.Add(sample);
            }
        }
        finally
        {
            cluster.SetPhase(phase);
            await ClusterAdmin.TryDeleteAsync(admin, topics, log).ConfigureAwait(false);
        }
    }

    /// <summary>The partition to stop the leader of: the first one led by the controller when
    /// <paramref name="controllerWanted"/>, else the first one led by another broker; when no partition is led as
    /// wanted, the first one.</summary>
    public static PartitionView Choose(TopicView topic, int controller, bool controllerWanted) =>
        topic.Partitions.Where(p => p.Leader >= 0 && (p.Leader == controller) == controllerWanted).Append(topic.Partitions[0]).First();

    private static async Task<LeaderFailoverSample> StopLeaderAsync(
        LocalCluster cluster, ClusterOptions options, string signal, int run, string topic, PartitionView partition, int controller, Action<string> log, CancellationToken cancellationToken)
    {
        var leader = partition.Leader;
        var survivor = cluster.NodeIds.First(n => n != leader);
        using var probe = cluster.Probe(survivor);
        using var producer = new PacedProducer(cluster.BootstrapServers, topic, partition.Index);
        producer.Start();
        await UntilAsync(() => producer.Acknowledged >= AcknowledgedBeforeStop, FailoverTimeout, cancellationToken).ConfigureAwait(false);
        if (producer.Acknowledged < AcknowledgedBeforeStop)
        {
            throw new TimeoutException($"the producer had {producer.Acknowledged} acknowledgements after {FailoverTimeout.TotalSeconds:0} s, before anything was stopped ({producer.FirstError})");
        }

        // Connected before the signal, so the leader poll holds no connection set-up.
        await probe.TryGetAsync([topic], TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var start = Stopwatch.GetTimestamp();
        var stoppedAt = producer.Now;
        var exited = StopAsync(cluster, leader, signal, start);
        var moved = MetadataPolling.UntilEachAsync(
            [probe], [topic], v => LeaderOf(v, topic, partition.Index) is var l && l >= 0 && l != leader, start, PollInterval, FailoverTimeout, cancellationToken);
        await UntilAsync(() => producer.HasAcknowledgedSentAfter(stoppedAt), FailoverTimeout, cancellationToken).ConfigureAwait(false);
        var (movedSeconds, newLeader) = await MovedAsync(moved, probe, topic, partition.Index, cancellationToken).ConfigureAwait(false);

        // After SIGTERM the old leader may acknowledge on until it hands over: the window runs until a message sent
        // after the survivor named the new leader was acknowledged, and half a second beyond.
        var movedAt = stoppedAt + (double.IsNaN(movedSeconds) ? 0 : movedSeconds);
        await UntilAsync(() => producer.HasAcknowledgedSentAfter(movedAt), FailoverTimeout, cancellationToken).ConfigureAwait(false);
        await Task.Delay(AfterHandOver, cancellationToken).ConfigureAwait(false);
        var acknowledgements = await producer.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var exitedSeconds = await exited.ConfigureAwait(false);
        var seen = Unavailability.Measure(acknowledgements, stoppedAt);
        var (clientLines, clientCount) = producer.ClientLog;

        var who = leader == controller ? "leader and controller" : "leader";
        log(seen is null
            ? $"   run {run}: {signal} of broker {leader} ({who} of {topic}/{partition.Index}): no message sent after it was acknowledged within {FailoverTimeout.TotalSeconds:0} s; {producer.Failed} failed ({producer.FirstError})"
            : $"   run {run}: {signal} of broker {leader} ({who} of {topic}/{partition.Index}): largest gap between acks {seen.LargestGapSeconds:0.000} s (before the signal {seen.BaselineGapSeconds:0.000} s), "
              + $"first ack of a message sent after it {seen.FirstAckSeconds:0.000} s, worst wait {seen.WorstWaitSeconds:0.000} s; "
              + $"broker {survivor} named leader {newLeader} after {movedSeconds:0.000} s; process gone after {exitedSeconds:0.000} s; {seen.AckedBeforeStop} acks before, {seen.AckedAfterStop} after, {producer.Failed} failed");
        if (clientCount > 0)
        {
            log($"   run {run}: librdkafka said {clientCount} warning(s)/error(s); the signal was at {stoppedAt:0.000} s on the producer's clock:");
            foreach (var line in clientLines.Take(8))
            {
                log($"      {line}");
            }
        }

        var restart = Stopwatch.StartNew();
        var registered = await cluster.StartBrokerAsync(leader).ConfigureAwait(false);
        await cluster.WaitHealthyAsync(SettleTimeout, cancellationToken).ConfigureAwait(false);
        var backInIsr = await BackInIsrAsync(cluster, leader, topic, partition.Index, restart, TimeSpan.FromSeconds(options.IsrWaitSeconds), cancellationToken).ConfigureAwait(false);
        log(double.IsNaN(backInIsr)
            ? $"   run {run}: broker {leader} restarted (registered after {registered.TotalSeconds:0.0} s) but was not back in the ISR of {topic}/{partition.Index} {options.IsrWaitSeconds:0} s after its start"
            : $"   run {run}: broker {leader} restarted (registered after {registered.TotalSeconds:0.0} s), back in the ISR {backInIsr:0.0} s after its start");

        return new LeaderFailoverSample(
            run, signal, topic, partition.Index, leader, leader == controller, newLeader,
            seen?.LargestGapSeconds ?? double.NaN, seen?.FirstAckSeconds ?? double.NaN, seen?.WorstWaitSeconds ?? double.NaN, seen?.BaselineGapSeconds ?? double.NaN,
            movedSeconds, exitedSeconds,
            seen?.AckedBeforeStop ?? 0, seen?.AckedAfterStop ?? 0, producer.Failed, producer.FirstError, clientCount,
            registered.TotalSeconds, backInIsr);
    }

    /// <summary>Signals <paramref name="node"/> and returns the seconds from <paramref name="start"/> until its process
    /// was gone.</summary>
    private static async Task<double> StopAsync(LocalCluster cluster, int node, string signal, long start)
    {
        await (signal == Kill ? cluster.KillAsync(node) : cluster.StopAsync(node)).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>When the survivor named another leader, and which; NaN and −1 when it did not within the timeout.</summary>
    private static async Task<(double Seconds, int Leader)> MovedAsync(Task<TimeSpan[]> moved, MetadataProbe probe, string topic, int partition, CancellationToken cancellationToken)
    {
        try
        {
            var seconds = (await moved.ConfigureAwait(false))[0].TotalSeconds;
            var view = await probe.TryGetAsync([topic], TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return (seconds, view is null ? -1 : LeaderOf(view, topic, partition));
        }
        catch (TimeoutException)
        {
            return (double.NaN, -1);
        }
    }

    /// <summary>Seconds from <paramref name="since"/>'s start until the controller lists <paramref name="node"/> in the
    /// partition's ISR; NaN when it did not within <paramref name="timeout"/> (of waiting here).</summary>
    private static async Task<double> BackInIsrAsync(LocalCluster cluster, int node, string topic, int partition, Stopwatch since, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var controller = await cluster.WaitHealthyAsync(SettleTimeout, cancellationToken).ConfigureAwait(false);
        using var probe = cluster.Probe(controller);
        try
        {
            await MetadataPolling.UntilEachAsync(
                [probe], [topic], v => IsrOf(v, topic, partition).Contains(node), Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(50), timeout, cancellationToken,
                v => v is null ? "no answer" : $"ISR [{string.Join(',', IsrOf(v, topic, partition))}]").ConfigureAwait(false);
            return since.Elapsed.TotalSeconds;
        }
        catch (TimeoutException)
        {
            return double.NaN;
        }
    }

    /// <summary>The topic as the controller lists it when every partition is led and has every replica in its ISR; null
    /// when not.</summary>
    private static async Task<TopicView?> WholeIsrAsync(LocalCluster cluster, int controller, string topic, CancellationToken cancellationToken)
    {
        using var probe = cluster.Probe(controller);
        var view = await probe.TryGetAsync([topic], TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        return view is not null && view.Topics.TryGetValue(topic, out var listed) && IsWhole(listed) ? listed : null;
    }

    private static async Task<TopicView> CreateAsync(Confluent.Kafka.IAdminClient admin, LocalCluster cluster, string topic, CancellationToken cancellationToken)
    {
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic, NumPartitions = cluster.NodeIds.Count, ReplicationFactor = (short)cluster.NodeIds.Count, Configs = new() { ["min.insync.replicas"] = "2" } }],
            ClusterAdmin.CreateOptions).ConfigureAwait(false);
        var probes = cluster.NodeIds.Select(cluster.Probe).ToList();
        try
        {
            await MetadataPolling.UntilEachAsync(probes, [topic], v => v.Topics.TryGetValue(topic, out var t) && IsWhole(t), Stopwatch.GetTimestamp(),
                PollInterval, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var view = await probes[0].TryGetAsync([topic], TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return view?.Topics[topic] ?? throw new InvalidOperationException($"{topic} vanished after it was created");
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }
    }

    private static bool IsWhole(TopicView topic) =>
        topic.ErrorCode == 0 && topic.Partitions.Count > 0
        && topic.Partitions.All(p => p.ErrorCode == 0 && p.Leader >= 0 && p.Replicas.All(p.Isr.Contains));

    private static int LeaderOf(MetadataView view, string topic, int partition) =>
        view.Topics.TryGetValue(topic, out var listed) ? listed.Partitions.FirstOrDefault(p => p.Index == partition, new PartitionView(partition, 0, -1, [], [])).Leader : -1;

    private static int[] IsrOf(MetadataView view, string topic, int partition) =>
        view.Topics.TryGetValue(topic, out var listed) ? listed.Partitions.FirstOrDefault(p => p.Index == partition, new PartitionView(partition, 0, -1, [], [])).Isr : [];

    /// <summary>Checks <paramref name="condition"/> every millisecond until it holds or <paramref name="timeout"/>
    /// passes; the figures do not depend on this loop's resolution (the producer stamps its own times).</summary>
    private static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }
}
