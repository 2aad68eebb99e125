using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeTopicPartitions (API 75), v0 (KIP-966): the named topics (none: every topic), in name order, with each
/// partition's leader, leader epoch, replicas, ISR and offline replicas, as Metadata reports them. Paged: at most
/// <c>ResponsePartitionLimit</c> partitions (capped at <see cref="MaxPartitions"/>) per response, starting at the
/// request's cursor; when more remain, <c>NextCursor</c> names where the next page starts. Unknown topics answer
/// UNKNOWN_TOPIC_OR_PARTITION. This broker has no eligible-leader-replica sets (KIP-966 ELR), so those are null.
/// Thread-safety: stateless.
/// </summary>
public sealed class DescribeTopicPartitionsHandler(Controller controller, ReplicaManager replicas)
    : IRequestHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>
{
    /// <summary>Kafka's <c>max.request.partition.size.limit</c> default.</summary>
    public const int MaxPartitions = 2000;

    public static ApiVersionRange Versions => new(0, 0);

    public ValueTask<DescribeTopicPartitionsResponse?> HandleAsync(RequestContext context, DescribeTopicPartitionsRequest request, CancellationToken cancellationToken)
    {
        var image = controller.Current;
        var names = request.Topics.Count == 0
            ? image.TopicsByName.Keys.Order(StringComparer.Ordinal).ToList()
            : request.Topics.Select(t => t.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        var cursor = request.Cursor;
        var budget = request.ResponsePartitionLimit is > 0 and < MaxPartitions ? request.ResponsePartitionLimit : MaxPartitions;
        var response = new DescribeTopicPartitionsResponse();
        foreach (var name in names.Where(n => cursor is null || string.CompareOrdinal(n, cursor.TopicName) >= 0))
        {
            if (!image.TryGetTopic(name, out var topic))
            {
                response.Topics.Add(new() { ErrorCode = (short)ErrorCode.UnknownTopicOrPartition, Name = name });
                continue;
            }

            var first = cursor is not null && cursor.TopicName == name ? Math.Max(0, cursor.PartitionIndex) : 0;
            if (budget == 0)
            {
                response.NextCursor = new() { TopicName = name, PartitionIndex = first };
                break;
            }

            var described = new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic { Name = name, TopicId = topic.TopicId, IsInternal = topic.IsInternal };
            response.Topics.Add(described);
            foreach (var partition in topic.Partitions.Values.Where(p => p.Partition >= first).OrderBy(p => p.Partition))
            {
                if (budget == 0)
                {
                    response.NextCursor = new() { TopicName = name, PartitionIndex = partition.Partition };
                    return ValueTask.FromResult<DescribeTopicPartitionsResponse?>(response);
                }

                budget--;
                described.Partitions.Add(new()
                {
                    ErrorCode = (short)PartitionState.ErrorOf(image, name, partition, replicas),
                    PartitionIndex = partition.Partition,
                    LeaderId = partition.Leader,
                    LeaderEpoch = partition.LeaderEpoch,
                    ReplicaNodes = [.. partition.Replicas],
                    IsrNodes = [.. partition.Isr],
                    OfflineReplicas = PartitionState.OfflineReplicas(image, partition),
                });
            }
        }

        return ValueTask.FromResult<DescribeTopicPartitionsResponse?>(response);
    }
}
