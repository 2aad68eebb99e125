using Wharf.Configuration;

namespace Wharf.Server.Replication;

/// <summary>How followers fetch from their leaders: Kafka's <c>replica.fetch.*</c> settings. Immutable.</summary>
/// <param name="WaitMax"><c>replica.fetch.wait.max.ms</c>: the long poll at the leader.</param>
/// <param name="MinBytes"><c>replica.fetch.min.bytes</c>.</param>
/// <param name="PartitionMaxBytes"><c>replica.fetch.max.bytes</c>.</param>
/// <param name="ResponseMaxBytes"><c>replica.fetch.response.max.bytes</c>.</param>
/// <param name="Backoff"><c>replica.fetch.backoff.ms</c>: the pause after a failed fetch.</param>
/// <param name="SocketTimeout"><c>replica.socket.timeout.ms</c>: how long an answer may take before reconnecting.</param>
/// <param name="FetchersPerLeader"><c>num.replica.fetchers</c>.</param>
public sealed record ReplicaFetcherOptions(TimeSpan WaitMax, int MinBytes, int PartitionMaxBytes, int ResponseMaxBytes, TimeSpan Backoff, TimeSpan SocketTimeout, int FetchersPerLeader)
{
    public static ReplicaFetcherOptions From(BrokerConfig config) => new(
        TimeSpan.FromMilliseconds(config.ReplicaFetchWaitMaxMs),
        config.ReplicaFetchMinBytes,
        config.ReplicaFetchMaxBytes,
        config.ReplicaFetchResponseMaxBytes,
        config.ReplicaFetchBackoff,
        config.ReplicaSocketTimeout,
        config.NumReplicaFetchers);
}
