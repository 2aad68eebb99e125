using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeProducers (API 61), v0: the producers a partition leader knows — id, epoch, last sequence, last
/// timestamp, coordinator epoch and the first offset of an open transaction (what blocks the last stable offset).
/// Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere, UNKNOWN_TOPIC_OR_PARTITION for a partition the metadata
/// does not know), as Kafka does. Thread-safety: stateless.
/// </summary>
public sealed class DescribeProducersHandler(ReplicaManager replicas) : IRequestHandler<DescribeProducersRequest, DescribeProducersResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public ValueTask<DescribeProducersResponse?> HandleAsync(RequestContext context, DescribeProducersRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeProducersResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new DescribeProducersResponse.TopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var index in topic.PartitionIndexes)
            {
                var result = new DescribeProducersResponse.PartitionResponse { PartitionIndex = index };
                topicResponse.Partitions.Add(result);
                var (partition, unavailable) = replicas.GetPartitionOrError(new TopicPartition(topic.Name, index));
                var (error, producers) = partition is null ? (unavailable, []) : partition.ActiveProducers();
                result.ErrorCode = (short)error;
                foreach (var producer in producers)
                {
                    result.ActiveProducers.Add(new()
                    {
                        ProducerId = producer.ProducerId,
                        ProducerEpoch = producer.ProducerEpoch,
                        LastSequence = producer.LastSequence,
                        LastTimestamp = producer.Batches.Count == 0 ? -1 : producer.Batches[^1].Timestamp,
                        CoordinatorEpoch = producer.CoordinatorEpoch,
                        CurrentTxnStartOffset = producer.CurrentTxnFirstOffset,
                    });
                }
            }
        }

        return ValueTask.FromResult<DescribeProducersResponse?>(response);
    }
}
