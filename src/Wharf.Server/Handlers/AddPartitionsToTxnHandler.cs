using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// AddPartitionsToTxn (API 24), v0–3 (the client form; v4+ batches transactions for brokers' KIP-890 verification and
/// is not served). The transaction becomes Ongoing with the partitions, durably, before the answer. A partition that
/// does not exist fails the request: it gets UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED.
/// Thread-safety: stateless.
/// </summary>
public sealed class AddPartitionsToTxnHandler(TransactionCoordinator transactions, Controller controller) : IRequestHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public async ValueTask<AddPartitionsToTxnResponse?> HandleAsync(RequestContext context, AddPartitionsToTxnRequest request, CancellationToken cancellationToken)
    {
        var image = controller.Current;
        var partitions = request.V3AndBelowTopics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p))).ToList();
        var unknown = partitions.Where(tp => !image.TryGetTopic(tp.Topic, out var topic) || !topic.Partitions.ContainsKey(tp.Partition)).ToHashSet();
        ErrorCode error;
        if (unknown.Count > 0)
        {
            error = ErrorCode.None;
        }
        else
        {
            error = await transactions.AddPartitionsAsync(request.V3AndBelowTransactionalId, request.V3AndBelowProducerId, request.V3AndBelowProducerEpoch, partitions).ConfigureAwait(false);
            error = TransactionErrors.ForVersion(error, context.ApiVersion, fencedSince: 2);
        }

        var response = new AddPartitionsToTxnResponse();
        foreach (var topic in request.V3AndBelowTopics)
        {
            var result = new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult { Name = topic.Name };
            foreach (var partition in topic.Partitions)
            {
                var partitionError = unknown.Count == 0 ? error
                    : unknown.Contains(new TopicPartition(topic.Name, partition)) ? ErrorCode.UnknownTopicOrPartition
                    : ErrorCode.OperationNotAttempted;
                result.ResultsByPartition.Add(new() { PartitionIndex = partition, PartitionErrorCode = (short)partitionError });
            }

            response.ResultsByTopicV3AndBelow.Add(result);
        }

        return response;
    }
}
