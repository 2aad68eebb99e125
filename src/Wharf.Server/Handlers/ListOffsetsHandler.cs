using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Handlers;

/// <summary>
/// ListOffsets (API 2), v1–7. Timestamp -2 = log start, -1 = high watermark (the next offset a consumer can
/// read; the last stable offset for isolation_level=1, read_committed, v2+), -3 = the record with the largest timestamp (v7), t ≥ 0 = the first offset whose timestamp is ≥ t,
/// or -1/-1 when there is none. Thread-safety: stateless.
/// </summary>
public sealed class ListOffsetsHandler(ReplicaManager replicas) : IRequestHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    public static ApiVersionRange Versions => new(1, 7);

    public ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var query in topic.Partitions)
            {
                topicResponse.Partitions.Add(Lookup(new TopicPartition(topic.Name, query.PartitionIndex), query, request.IsolationLevel == 1));
            }
        }

        return ValueTask.FromResult<ListOffsetsResponse?>(response);
    }

    private ListOffsetsResponse.ListOffsetsPartitionResponse Lookup(TopicPartition topicPartition, ListOffsetsRequest.ListOffsetsPartition query, bool readCommitted)
    {
        var answer = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = query.PartitionIndex };
        if (replicas.GetPartition(topicPartition) is not { } partition)
        {
            answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
            return answer;
        }

        var epochError = LeaderEpochCheck.Validate(query.CurrentLeaderEpoch, partition.LeaderEpoch);
        if (epochError != ErrorCode.None)
        {
            answer.ErrorCode = (short)epochError;
            return answer;
        }

        var log = partition.Log;
        answer.LeaderEpoch = partition.LeaderEpoch;
        switch (query.Timestamp)
        {
            case Log.EarliestTimestamp:
                answer.Offset = log.LogStartOffset;
                break;
            case Log.LatestTimestamp:
                answer.Offset = readCommitted ? partition.LastStableOffset : partition.HighWatermark;
                break;
            case Log.MaxTimestampQuery or >= 0:
                if (log.FetchOffsetByTimestamp(query.Timestamp) is { } found && found.Offset < partition.HighWatermark)
                {
                    answer.Timestamp = found.Timestamp;
                    answer.Offset = found.Offset;
                    answer.LeaderEpoch = found.LeaderEpoch;
                }

                break;
            default:
                answer.ErrorCode = (short)ErrorCode.InvalidRequest;
                break;
        }

        return answer;
    }
}
