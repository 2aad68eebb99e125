using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Http.Api;

/// <summary>
/// The topic routes of the admin API: the cluster and its brokers, the topic list, one topic in detail (partitions with
/// leaders, replicas, ISR, log start offset, high watermark and size; configs with their source), creating and deleting
/// a topic. Reads and writes go through <see cref="ClusterClient"/>. Thread-safety: stateless.
/// </summary>
public sealed class TopicAdmin(ClusterClient cluster)
{
    public async Task<ClusterView> ClusterAsync(CancellationToken cancellationToken)
    {
        var metadata = await cluster.MetadataAsync([], cancellationToken).ConfigureAwait(false);
        return new ClusterView(metadata.ClusterId, metadata.ControllerId, Brokers(metadata));
    }

    public async Task<BrokerList> BrokersAsync(CancellationToken cancellationToken) =>
        new(Brokers(await cluster.MetadataAsync([], cancellationToken).ConfigureAwait(false)));

    public async Task<TopicList> TopicsAsync(CancellationToken cancellationToken)
    {
        var metadata = await cluster.MetadataAsync(null, cancellationToken).ConfigureAwait(false);
        return new TopicList([.. metadata.Topics
            .Where(t => t.ErrorCode == 0 && t.Name is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new TopicSummary(t.Name!, t.TopicId, t.Partitions.Count, ReplicationFactor(t), t.IsInternal))]);
    }

    public async Task<TopicDetail> TopicAsync(string topic, CancellationToken cancellationToken)
    {
        var metadata = await cluster.TopicAsync(topic, cancellationToken).ConfigureAwait(false);
        var leaders = metadata.Partitions.Select(p => (p.PartitionIndex, p.LeaderId)).ToList();
        var starts = cluster.ListOffsetsAsync(topic, leaders, -2, cancellationToken);
        var ends = cluster.ListOffsetsAsync(topic, leaders, -1, cancellationToken);
        var sizes = SizesAsync(topic, leaders, cancellationToken);
        var configs = ConfigsAsync(topic, cancellationToken);
        await Task.WhenAll(starts, ends, sizes, configs).ConfigureAwait(false);
        var partitions = metadata.Partitions.OrderBy(p => p.PartitionIndex).Select(p => new PartitionView(
            p.PartitionIndex, p.LeaderId, p.LeaderEpoch, p.ReplicaNodes, p.IsrNodes, p.OfflineReplicas,
            starts.Result.TryGetValue(p.PartitionIndex, out var start) ? start : null,
            ends.Result.TryGetValue(p.PartitionIndex, out var end) ? end : null,
            sizes.Result.TryGetValue(p.PartitionIndex, out var size) ? size : null)).ToList();
        return new TopicDetail(topic, metadata.TopicId, metadata.IsInternal, ReplicationFactor(metadata),
            partitions.All(p => p.SizeBytes is not null) ? partitions.Sum(p => p.SizeBytes!.Value) : null,
            partitions.All(p => p.HighWatermark is not null && p.LogStartOffset is not null) ? partitions.Sum(p => p.HighWatermark!.Value - p.LogStartOffset!.Value) : null,
            partitions, configs.Result);
    }

    public async Task<TopicCreated> CreateAsync(CreateTopicBody body, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.Name))
        {
            throw ApiException.BadRequest("'name' is required");
        }

        if (body.Partitions is < 1 or > 100_000 || body.ReplicationFactor is < 1 or > short.MaxValue)
        {
            throw ApiException.BadRequest("'partitions' and 'replication_factor' must be positive (omit them for the broker's defaults)");
        }

        var request = new CreateTopicsRequest
        {
            timeoutMs = 30_000,
            Topics =
            [
                new()
                {
                    Name = body.Name,
                    NumPartitions = body.Partitions ?? -1,
                    ReplicationFactor = (short)(body.ReplicationFactor ?? -1),
                    Configs = [.. (body.Configs ?? []).Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Key, Value = c.Value })],
                },
            ],
        };
        var response = await cluster.SendToLocalAsync<CreateTopicsRequest, CreateTopicsResponse>(request, 4, cancellationToken).ConfigureAwait(false);
        var result = response.Topics.Single();
        if (result.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)result.ErrorCode, result.ErrorMessage, $"creating topic '{body.Name}'");
        }

        return new TopicCreated(body.Name, body.Partitions ?? -1, body.ReplicationFactor ?? -1, true);
    }

    public async Task<TopicDeleted> DeleteAsync(string topic, CancellationToken cancellationToken)
    {
        var request = new DeleteTopicsRequest { TopicNames = [topic], TimeoutMs = 30_000 };
        var response = await cluster.SendToLocalAsync<DeleteTopicsRequest, DeleteTopicsResponse>(request, 5, cancellationToken).ConfigureAwait(false);
        var result = response.Responses.Single();
        if (result.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)result.ErrorCode, result.ErrorMessage, $"deleting topic '{topic}'");
        }

        return new TopicDeleted(topic, true);
    }

    private static List<BrokerView> Brokers(MetadataResponse metadata) =>
        [.. metadata.Brokers.OrderBy(b => b.NodeId).Select(b => new BrokerView(b.NodeId, b.Host, b.Port, b.Rack, b.NodeId == metadata.ControllerId))];

    private static int ReplicationFactor(MetadataResponse.MetadataResponseTopic topic) =>
        topic.Partitions.Count == 0 ? 0 : topic.Partitions.Min(p => p.ReplicaNodes.Count);

    /// <summary>Each partition's size on its leader (DescribeLogDirs); a leader that fails to answer leaves its partitions out.</summary>
    private async Task<Dictionary<int, long>> SizesAsync(string topic, List<(int Partition, int Leader)> partitions, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(partitions.Where(p => p.Leader >= 0).GroupBy(p => p.Leader).Select(async leader =>
        {
            var request = new DescribeLogDirsRequest { Topics = [new() { Topic = topic, Partitions = [.. leader.Select(p => p.Partition)] }] };
            var led = leader.Select(p => p.Partition).ToHashSet();
            try
            {
                var response = await cluster.SendAsync<DescribeLogDirsRequest, DescribeLogDirsResponse>(leader.Key, request, 4, cancellationToken).ConfigureAwait(false);
                return response.Results.Where(r => r.ErrorCode == 0).SelectMany(r => r.Topics).Where(t => t.Name == topic)
                    .SelectMany(t => t.Partitions).Where(p => !p.IsFutureKey && led.Contains(p.PartitionIndex))
                    .Select(p => (p.PartitionIndex, p.PartitionSize)).ToList();
            }
            catch (IOException)
            {
                return [];
            }
        })).ConfigureAwait(false);
        return answers.SelectMany(a => a).GroupBy(a => a.PartitionIndex).ToDictionary(g => g.Key, g => g.Sum(a => a.PartitionSize));
    }

    private async Task<List<TopicConfigView>> ConfigsAsync(string topic, CancellationToken cancellationToken)
    {
        var request = new DescribeConfigsRequest { Resources = [new() { ResourceType = 2, ResourceName = topic, ConfigurationKeys = null }] };
        var response = await cluster.SendToLocalAsync<DescribeConfigsRequest, DescribeConfigsResponse>(request, 4, cancellationToken).ConfigureAwait(false);
        var result = response.Results.Single();
        if (result.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)result.ErrorCode, result.ErrorMessage, $"describing the configs of topic '{topic}'");
        }

        return [.. result.Configs.OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new TopicConfigView(c.Name, c.IsSensitive ? null : c.Value, SourceName(c.ConfigSource), c.ReadOnly, c.IsSensitive))];
    }

    /// <summary>Kafka's ConfigSource names, lower snake case.</summary>
    internal static string SourceName(sbyte source) => source switch
    {
        1 => "topic",
        2 => "dynamic_broker",
        3 => "dynamic_default_broker",
        4 => "static_broker",
        5 => "default",
        6 => "dynamic_broker_logger",
        7 => "client_metrics",
        8 => "group",
        _ => "unknown",
    };
}
