using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeProducers (API 61), v0: the producers a partition leader knows — id, epoch, last sequence, last
/// timestamp, coordinator epoch and the first offset of an open transaction (what blocks the last stable offset).
/// Thread-safety: stateless.
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
                if (replicas.GetPartition(new TopicPartition(topic.Name, index)) is not { } partition)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }

                foreach (var producer in partition.Log.ActiveProducers().OrderBy(p => p.ProducerId))
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
