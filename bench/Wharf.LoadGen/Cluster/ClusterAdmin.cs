using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Confluent.Kafka AdminClient set-up shared by the cluster measurements: librdkafka's own log lines go to the run log
/// (so a broker that refuses or drops connections shows up next to the figures), and creation waits long enough for
/// 10,000 partitions.
/// Thread-safety: stateless.
/// </summary>
public static class ClusterAdmin
{
    public static readonly CreateTopicsOptions CreateOptions = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(120),
        OperationTimeout = TimeSpan.FromSeconds(60),
    };

    public static IAdminClient Connect(string bootstrapServers, Action<string> log) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers })
            .SetLogHandler((_, message) => log($"   librdkafka {message.Level}: {message.Facility}: {message.Message}"))
            .Build();

    /// <summary>Deletes <paramref name="topics"/> (in batches of 100), logging instead of throwing: cleaning up must not
    /// hide the measurement's own failure.</summary>
    public static async Task TryDeleteAsync(IAdminClient admin, IReadOnlyList<string> topics, Action<string> log)
    {
        foreach (var batch in topics.Chunk(100))
        {
            try
            {
                await admin.DeleteTopicsAsync(batch, new DeleteTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(120), OperationTimeout = TimeSpan.FromSeconds(60) }).ConfigureAwait(false);
            }
            catch (KafkaException e)
            {
                log($"   deleting {batch.Length} topic(s) failed: {e.Message}");
            }
        }
    }
}
