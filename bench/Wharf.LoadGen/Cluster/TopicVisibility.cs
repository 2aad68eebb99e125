using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Topic visibility: topics are created one after another through one broker (Confluent.Kafka's AdminClient
/// bootstrapped with broker 1 only; librdkafka sends CreateTopics to the controller it learned from there), and after
/// each CreateTopics returns every broker is polled (every 1 ms, each on its own connection) until it lists the topic
/// with a leader for every partition. The figure per topic is the slowest broker's time; the topics are deleted at the
/// end.
/// Thread-safety: single-threaded orchestration.
/// </summary>
public static class TopicVisibility
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan VisibleTimeout = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(LocalCluster cluster, ClusterOptions options, ClusterReport report, Action<string> log, CancellationToken cancellationToken)
    {
        await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        var first = cluster.NodeIds[0];
        using var admin = ClusterAdmin.Connect(cluster.Endpoint(first), log);
        var probes = cluster.NodeIds.Select(cluster.Probe).ToList();
        var created = new List<string>();
        try
        {
            for (var i = 0; i < options.Topics; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var topic = $"visibility-{Environment.ProcessId}-{i}";
                var clock = Stopwatch.StartNew();
                await admin.CreateTopicsAsync(
                    [new TopicSpecification { Name = topic, NumPartitions = options.PartitionsPerVisibilityTopic, ReplicationFactor = 1 }],
                    ClusterAdmin.CreateOptions).ConfigureAwait(false);
                var returned = Stopwatch.GetTimestamp();
                var createSeconds = clock.Elapsed.TotalSeconds;
                created.Add(topic);
                var times = await MetadataPolling.UntilEachAsync(
                    probes, [topic], view => view.IsLed(topic, options.PartitionsPerVisibilityTopic), returned, PollInterval, VisibleTimeout, cancellationToken).ConfigureAwait(false);
                var sample = new VisibilitySample(topic, createSeconds, [.. times.Select(t => t.TotalSeconds)]);
                report.Visibility.Add(sample);
                if (i < 3 || (i + 1) % 25 == 0 || sample.SlowestSeconds > 0.1)
                {
                    log($"   topic {i + 1}/{options.Topics} ({options.PartitionsPerVisibilityTopic} partitions, created through broker {first}): CreateTopics {createSeconds * 1000:0.0} ms, "
                        + $"then visible with leaders on brokers {string.Join(", ", cluster.NodeIds.Select((n, b) => $"{n}: {times[b].TotalMilliseconds:0.0}"))} ms");
                }
            }
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
            await ClusterAdmin.TryDeleteAsync(admin, created, log).ConfigureAwait(false);
        }

        var slowest = Percentiles.Of(report.Visibility.Select(v => v.SlowestSeconds * 1000));
        log($"   visibility of {slowest.Count} topics, slowest broker: p50 {slowest.P50:0.0} ms, p90 {slowest.P90:0.0} ms, p99 {slowest.P99:0.0} ms, max {slowest.Max:0.0} ms");
    }
}
