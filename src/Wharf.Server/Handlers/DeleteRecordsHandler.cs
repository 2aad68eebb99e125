using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Handlers;

/// <summary>
/// DeleteRecords (API 21), v0–2: moves each partition's log start offset forward to the given offset (-1 = the
/// high watermark); it never moves back. Answers the new low watermark. Thread-safety: stateless.
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
                if (replicas.GetPartition(new TopicPartition(topic.Name, target.PartitionIndex)) is not { } partition)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }

                var offset = target.Offset == -1 ? partition.HighWatermark : target.Offset;
                if (offset < 0 || offset > partition.HighWatermark)
                {
                    result.ErrorCode = (short)ErrorCode.OffsetOutOfRange;
                    continue;
                }

                try
                {
                    partition.Log.IncrementLogStartOffset(offset);
                    result.LowWatermark = partition.Log.LogStartOffset;
                }
                catch (LogException e)
                {
                    result.ErrorCode = (short)e.ErrorCode;
                }
            }
        }

        return ValueTask.FromResult<DeleteRecordsResponse?>(response);
    }
}
