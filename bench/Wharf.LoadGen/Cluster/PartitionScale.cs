using System.Diagnostics;
using Confluent.Kafka.Admin;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// 10,000 partitions over the brokers (replication factor 1: replication is not built yet). Created as topics of
/// <see cref="ClusterOptions.PartitionsPerTopic"/>, several topics per CreateTopics request, all requests sent at once;
/// timed until every broker lists every partition with a leader (each broker polled every 100 ms). Then with them in
/// place: one controller failover (kill -9), the killed broker's restart, and two restarts of a broker that is not the
/// controller — after SIGTERM (Wharf's controlled shutdown) and after kill -9 — each timed from the signal until every
/// broker reports the restarted one as the leader, without error, of every partition it holds. After kill -9 the
/// restarted broker first waits out its previous registration (<c>broker.session.timeout.ms</c>, 9 s), which the
/// figure includes. The topics stay: this measurement runs last.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public static class PartitionScale
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);

    public static async Task RunAsync(LocalCluster cluster, ClusterOptions options, ClusterReport report, Action<string> log, CancellationToken cancellationToken)
    {
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        var topics = Enumerable.Range(0, options.ScaleTopics).Select(i => $"scale-{Environment.ProcessId}-{i}").ToList();
        var partitionsPerTopic = options.PartitionsPerTopic;
        var result = new ScaleResult { Topics = topics.Count, Partitions = topics.Count * partitionsPerTopic };
        report.Scale = result;
        var probes = cluster.NodeIds.Select(cluster.Probe).ToList();
        try
        {
            using (var admin = ClusterAdmin.Connect(cluster.BootstrapServers, log))
            {
                var start = Stopwatch.GetTimestamp();
                var requests = topics.Chunk(options.TopicsPerRequest)
                    .Select(batch => admin.CreateTopicsAsync(
                        [.. batch.Select(t => new TopicSpecification { Name = t, NumPartitions = partitionsPerTopic, ReplicationFactor = 1 })],
                        ClusterAdmin.CreateOptions))
                    .ToList();
                await Task.WhenAll(requests).ConfigureAwait(false);
                result.CreateRequestsSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                log($"   {requests.Count} CreateTopics request(s) for {result.Partitions:N0} partitions ({topics.Count} topics × {partitionsPerTopic}) returned after {result.CreateRequestsSeconds:0.00} s");
                var times = await MetadataPolling.UntilEachAsync(
                    probes, topics, view => topics.All(t => view.IsLed(t, partitionsPerTopic)), start, PollInterval, Timeout, cancellationToken).ConfigureAwait(false);
                result.CreatedPerBrokerSeconds = [.. times.Select(t => t.TotalSeconds)];
                log($"   all {result.Partitions:N0} partitions led, as seen by brokers {string.Join(", ", cluster.NodeIds.Select((n, i) => $"{n}: {times[i].TotalSeconds:0.00} s"))}");
            }

            result.Failover = await ControllerFailover.FailOverAsync(cluster, 1, log, cancellationToken, rejoin: false).ConfigureAwait(false);
            var killed = result.Failover.KilledController;
            result.FormerControllerRestart = await RestartAsync(cluster, probes, killed, "kill -9 (the failover above; timed from the restart)", null, topics, log, cancellationToken).ConfigureAwait(false);

            var controller = await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
            var node = cluster.NodeIds.First(n => n != controller);
            result.SigtermRestart = await RestartAsync(cluster, probes, node, "SIGTERM", () => cluster.StopAsync(node), topics, log, cancellationToken).ConfigureAwait(false);
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
            result.KillRestart = await RestartAsync(cluster, probes, node, "kill -9", () => cluster.KillAsync(node), topics, log, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }
    }

    /// <summary>Stops broker <paramref name="node"/> with <paramref name="stop"/> (none: it is already down), starts it
    /// again, and waits until every broker reports it leading every partition it holds.</summary>
    private static async Task<RestartSample> RestartAsync(
        LocalCluster cluster, IReadOnlyList<MetadataProbe> probes, int node, string signal, Func<Task>? stop, IReadOnlyList<string> topics, Action<string> log, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        if (stop is not null)
        {
            await stop().ConfigureAwait(false);
        }

        var stopped = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await cluster.StartBrokerAsync(node).ConfigureAwait(false);
        var registered = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var held = 0;
        var times = await MetadataPolling.UntilEachAsync(
            probes, topics, view => LeadsAll(view, node, topics, out held), start, PollInterval, Timeout, cancellationToken,
            view => view is null ? "no answer" : $"{Lagging(view, node, topics)} of broker {node}'s partitions not led by it without error").ConfigureAwait(false);
        var sample = new RestartSample(node, signal, held, stopped, registered, times.Max().TotalSeconds);
        log($"   restart of broker {node} after {signal} with {held:N0} partitions of its own: exited after {stopped:0.00} s, registered (ready) after {registered:0.00} s, "
            + $"leading all of them on every broker after {sample.LeadingSeconds:0.00} s");
        return sample;
    }

    /// <summary>Whether every partition whose replicas include <paramref name="node"/> is led by it without error.</summary>
    private static bool LeadsAll(MetadataView view, int node, IReadOnlyList<string> topics, out int held)
    {
        held = 0;
        foreach (var topic in topics)
        {
            if (!view.Topics.TryGetValue(topic, out var listed))
            {
                return false;
            }

            foreach (var partition in listed.Partitions.Where(p => p.Replicas.Contains(node)))
            {
                if (partition.Leader != node || partition.ErrorCode != 0)
                {
                    return false;
                }

                held++;
            }
        }

        return held > 0;
    }

    private static int Lagging(MetadataView view, int node, IReadOnlyList<string> topics) =>
        topics.Sum(t => view.Topics.TryGetValue(t, out var listed)
            ? listed.Partitions.Count(p => p.Replicas.Contains(node) && (p.Leader != node || p.ErrorCode != 0))
            : 0);
}
