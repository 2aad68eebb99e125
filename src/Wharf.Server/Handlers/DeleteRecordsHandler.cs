using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// DeleteRecords (API 21), v0–2: moves each partition's log start offset forward to the given offset (-1 = the
/// high watermark); it never moves back. Answers the new low watermark. Only the leader deletes
/// (<see cref="Partition.DeleteRecordsOnLeader"/>): elsewhere NOT_LEADER_OR_FOLLOWER, or UNKNOWN_TOPIC_OR_PARTITION when the
/// metadata does not know the partition. Thread-safety: stateless.
/// </summary>
public sealed class DeleteRecordsHandler(ReplicaManager replicas) : IRequestHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    public static ApiVersionRange Versions => new(0, 2);

    public ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteRecordsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var target in topic.Partitions)
            {
                var result = new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = target.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(result);
                var (partition, unavailable) = replicas.GetPartitionOrError(new TopicPartition(topic.Name, target.PartitionIndex));
                (var error, result.LowWatermark) = partition is null ? (unavailable, -1) : partition.DeleteRecordsOnLeader(target.Offset);
                result.ErrorCode = (short)error;
            }
        }

        return ValueTask.FromResult<DeleteRecordsResponse?>(response);
    }
}
