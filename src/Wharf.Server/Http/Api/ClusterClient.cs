using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Http.Api;

/// <summary>
/// The admin API's Kafka client of its own cluster: requests go over the API's own <see cref="BrokerConnectionPool"/>
/// to the broker that answers them — cluster-wide questions (Metadata, DescribeConfigs, topic creation and deletion) to
/// this broker, whose handlers forward to the controller as for any client; partition reads and writes to the
/// partition's leader; group questions to the group's coordinator. So the API sees what a client sees and never reads a
/// follower's or a stale coordinator's state. Errors: a broker that cannot be reached is an <see cref="IOException"/>
/// (the API answers 503); a Kafka error is an <see cref="ApiException"/>.
/// Thread-safety: safe from any thread. Lifecycle: owns the pool; dispose it with the HTTP server.
/// </summary>
public sealed class ClusterClient(BrokerConnectionPool connections, int localNodeId) : IAsyncDisposable
{
    /// <summary>The answer of this broker to a Metadata request for <paramref name="topics"/> (null: all topics; empty: none).</summary>
    public Task<MetadataResponse> MetadataAsync(IReadOnlyList<string>? topics, CancellationToken cancellationToken) =>
        SendAsync<MetadataRequest, MetadataResponse>(localNodeId, new MetadataRequest
        {
            Topics = topics?.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t }).ToList(),
            AllowAutoTopicCreation = false,
        }, 12, cancellationToken);

    /// <summary>One topic's metadata; 404 when it does not exist.</summary>
    public async Task<MetadataResponse.MetadataResponseTopic> TopicAsync(string topic, CancellationToken cancellationToken)
    {
        var metadata = await MetadataAsync([topic], cancellationToken).ConfigureAwait(false);
        var found = metadata.Topics.SingleOrDefault(t => t.Name == topic)
            ?? throw ApiException.NotFound("UNKNOWN_TOPIC_OR_PARTITION", $"topic '{topic}' does not exist");
        if (found.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)found.ErrorCode, null, $"topic '{topic}'");
        }

        return found;
    }

    /// <summary>The leader of <paramref name="topic"/>-<paramref name="partition"/>; 404 when there is no such partition, 503 when it has no leader.</summary>
    public async Task<int> LeaderAsync(string topic, int partition, CancellationToken cancellationToken)
    {
        var metadata = await TopicAsync(topic, cancellationToken).ConfigureAwait(false);
        var found = metadata.Partitions.SingleOrDefault(p => p.PartitionIndex == partition)
            ?? throw ApiException.NotFound("UNKNOWN_TOPIC_OR_PARTITION", $"topic '{topic}' has no partition {partition}");
        return found.LeaderId >= 0 ? found.LeaderId
            : throw new ApiException(503, "LEADER_NOT_AVAILABLE", $"partition {topic}-{partition} has no leader");
    }

    /// <summary>
    /// ListOffsets at <paramref name="timestamp"/> (-2 earliest, -1 latest, i.e. the high watermark, else the first offset
    /// at or after that time) for the partitions of <paramref name="topic"/>, each asked of its leader. A partition whose
    /// leader failed to answer is missing from the result.
    /// </summary>
    public async Task<Dictionary<int, long>> ListOffsetsAsync(string topic, IEnumerable<(int Partition, int Leader)> partitions, long timestamp, CancellationToken cancellationToken)
    {
        var byLeader = partitions.Where(p => p.Leader >= 0).GroupBy(p => p.Leader);
        var answers = await Task.WhenAll(byLeader.Select(async leader =>
        {
            var request = new ListOffsetsRequest
            {
                ReplicaId = -1,
                Topics = [new() { Name = topic, Partitions = [.. leader.Select(p => new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = p.Partition, Timestamp = timestamp })] }],
            };
            try
            {
                var response = await SendAsync<ListOffsetsRequest, ListOffsetsResponse>(leader.Key, request, 7, cancellationToken).ConfigureAwait(false);
                return response.Topics.SelectMany(t => t.Partitions).Where(p => p.ErrorCode == 0).Select(p => (p.PartitionIndex, p.Offset)).ToList();
            }
            catch (IOException)
            {
                return [];
            }
        })).ConfigureAwait(false);
        return answers.SelectMany(a => a).ToDictionary(a => a.PartitionIndex, a => a.Offset);
    }

    /// <summary>The broker coordinating <paramref name="groupId"/> (share groups and consumer groups share the key type).</summary>
    public async Task<int> CoordinatorAsync(string groupId, CancellationToken cancellationToken)
    {
        var response = await SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(localNodeId, new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [groupId] }, 4, cancellationToken).ConfigureAwait(false);
        var coordinator = response.Coordinators.Single();
        return coordinator.ErrorCode == 0 ? coordinator.NodeId
            : throw ApiException.FromKafka((ErrorCode)coordinator.ErrorCode, coordinator.ErrorMessage, $"finding the coordinator of group '{groupId}'");
    }

    public Task<TResponse> SendToLocalAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IRequestMessage, IApiMessage<TRequest>
        where TResponse : IApiMessage<TResponse> =>
        SendAsync<TRequest, TResponse>(localNodeId, request, version, cancellationToken);

    /// <summary>Sends to broker <paramref name="nodeId"/>.</summary>
    /// <exception cref="IOException">the broker could not be reached or did not answer.</exception>
    public Task<TResponse> SendAsync<TRequest, TResponse>(int nodeId, TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IRequestMessage, IApiMessage<TRequest>
        where TResponse : IApiMessage<TResponse> =>
        connections.SendAsync<TRequest, TResponse>(nodeId, request, version, cancellationToken);

    public ValueTask DisposeAsync() => connections.DisposeAsync();
}
