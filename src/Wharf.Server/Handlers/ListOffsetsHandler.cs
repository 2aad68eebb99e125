using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Handlers;

/// <summary>
/// ListOffsets (API 2), v0–7. Timestamp -2 = log start, -1 = high watermark (the next offset a consumer can
/// read; the last stable offset for isolation_level=1, read_committed, v2+), -3 = the record with the largest timestamp (v7), t ≥ 0 = the first offset whose timestamp is ≥ t,
/// or -1/-1 when there is none.
/// v0 answers a list of at most <c>max_num_offsets</c> offsets, newest first, as Kafka 3.x did: for -1 the high
/// watermark followed by the base offsets of the segments below it (old tools page through a log by segment this
/// way), for -2 the log start. For t ≥ 0 Kafka used segment file modification times; here it is the v1 answer (the
/// first offset whose record timestamp is ≥ t), or the high watermark when no record is that new — the same "start
/// here to read everything from t on", at record rather than segment precision. A negative <c>max_num_offsets</c> is
/// INVALID_REQUEST. Thread-safety: stateless.
/// </summary>
public sealed class ListOffsetsHandler(ReplicaManager replicas) : IRequestHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    public static ApiVersionRange Versions => new(0, 7);

    public ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var query in topic.Partitions)
            {
                var topicPartition = new TopicPartition(topic.Name, query.PartitionIndex);
                topicResponse.Partitions.Add(context.ApiVersion == 0 ? LegacyLookup(topicPartition, query) : Lookup(topicPartition, query, request.IsolationLevel == 1));
            }
        }

        return ValueTask.FromResult<ListOffsetsResponse?>(response);
    }

    /// <summary>The v0 answer (see the class summary): an offsets array instead of one offset and its timestamp.</summary>
    private ListOffsetsResponse.ListOffsetsPartitionResponse LegacyLookup(TopicPartition topicPartition, ListOffsetsRequest.ListOffsetsPartition query)
    {
        var answer = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = query.PartitionIndex };
        if (query.MaxNumOffsets < 0 || query.Timestamp is < 0 and not (Log.LatestTimestamp or Log.EarliestTimestamp))
        {
            answer.ErrorCode = (short)ErrorCode.InvalidRequest;
            return answer;
        }

        if (replicas.GetPartition(topicPartition) is not { } partition)
        {
            answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
            return answer;
        }

        var log = partition.Log;
        var highWatermark = partition.HighWatermark;
        IEnumerable<long> offsets = query.Timestamp switch
        {
            Log.LatestTimestamp => [highWatermark, .. log.SegmentBaseOffsets.Select(b => Math.Max(b, log.LogStartOffset)).Where(b => b < highWatermark).Distinct().OrderDescending()],
            Log.EarliestTimestamp => [log.LogStartOffset],
            _ => [log.FetchOffsetByTimestamp(query.Timestamp) is { } found && found.Offset < highWatermark ? found.Offset : highWatermark],
        };

        answer.OldStyleOffsets = [.. offsets.Take(query.MaxNumOffsets)];
        return answer;
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
