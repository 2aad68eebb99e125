using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

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
/// INVALID_REQUEST. The lookups are <see cref="Partition"/>'s (leader and leader epoch checked there); a partition this
/// broker does not lead is NOT_LEADER_OR_FOLLOWER, one the metadata does not know UNKNOWN_TOPIC_OR_PARTITION.
/// Thread-safety: stateless.
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
        if (query.MaxNumOffsets < 0 || query.Timestamp is < 0 and not (ListOffsetsTimestamp.Latest or ListOffsetsTimestamp.Earliest))
        {
            answer.ErrorCode = (short)ErrorCode.InvalidRequest;
            return answer;
        }

        var (partition, unavailable) = replicas.GetPartitionOrError(topicPartition);
        if (partition is null)
        {
            answer.ErrorCode = (short)unavailable;
            return answer;
        }

        var (error, offsets) = partition.LegacyOffsetsBefore(query.Timestamp, query.MaxNumOffsets);
        answer.ErrorCode = (short)error;
        answer.OldStyleOffsets = [.. offsets];
        return answer;
    }

    private ListOffsetsResponse.ListOffsetsPartitionResponse Lookup(TopicPartition topicPartition, ListOffsetsRequest.ListOffsetsPartition query, bool readCommitted)
    {
        var answer = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = query.PartitionIndex };
        var (partition, unavailable) = replicas.GetPartitionOrError(topicPartition);
        if (partition is null)
        {
            answer.ErrorCode = (short)unavailable;
            return answer;
        }

        var found = partition.FetchOffsetForTimestamp(query.Timestamp, query.CurrentLeaderEpoch, readCommitted);
        answer.ErrorCode = (short)found.Error;
        if (found.Error == ErrorCode.None)
        {
            (answer.Timestamp, answer.Offset, answer.LeaderEpoch) = (found.Timestamp, found.Offset, found.LeaderEpoch);
        }

        return answer;
    }
}
