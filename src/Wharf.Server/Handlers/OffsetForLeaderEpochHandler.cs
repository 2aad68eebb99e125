using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// OffsetForLeaderEpoch (API 23), v2–4: for each partition, the end offset of the requested leader epoch as the
/// leader's log knows it (<see cref="Partition.EndOffsetForLeaderEpoch"/>). Consumers use it after a leader change to
/// check that their position was not truncated away (KIP-320); followers use it to find where to truncate (KIP-101).
/// A partition this broker does not lead is NOT_LEADER_OR_FOLLOWER, an unknown one UNKNOWN_TOPIC_OR_PARTITION, a stale
/// or future current epoch FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH. Thread-safety: stateless.
/// </summary>
public sealed class OffsetForLeaderEpochHandler(ReplicaManager replicas) : IRequestHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>
{
    public static ApiVersionRange Versions => new(2, 4);

    public ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequest request, CancellationToken cancellationToken)
    {
        var response = new OffsetForLeaderEpochResponse();
        foreach (var topic in request.Topics)
        {
            var result = new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult { Topic = topic.Topic };
            response.Topics.Add(result);
            foreach (var query in topic.Partitions)
            {
                var answer = new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = query.Partition };
                var (partition, unavailable) = replicas.GetPartitionOrError(new TopicPartition(topic.Topic, query.Partition));
                if (partition is null)
                {
                    answer.ErrorCode = (short)unavailable;
                }
                else
                {
                    var (error, epoch, endOffset) = partition.EndOffsetForLeaderEpoch(query.CurrentLeaderEpoch, query.LeaderEpoch);
                    (answer.ErrorCode, answer.LeaderEpoch, answer.EndOffset) = ((short)error, epoch, endOffset);
                }

                result.Partitions.Add(answer);
            }
        }

        return ValueTask.FromResult<OffsetForLeaderEpochResponse?>(response);
    }
}
