using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// AddPartitionsToTxn (API 24), v0–5. v0–3 is the client form: one transaction becomes Ongoing with the partitions,
/// durably, before the answer. v4+ is the broker form (KIP-890): a batch of transactions, each either added the same way
/// or, with <c>VerifyOnly</c>, only checked — the produce path of a broker that is not the transaction's coordinator
/// asks whether the producer's transaction is Ongoing with these partitions at its epoch
/// (<see cref="TransactionCoordinator.VerifyPartition"/>: NONE, INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH, or
/// NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS when this broker does not serve the id now), nothing written.
/// A partition that does not exist fails its transaction's add: it gets UNKNOWN_TOPIC_OR_PARTITION, the others
/// OPERATION_NOT_ATTEMPTED.
/// Thread-safety: stateless.
/// </summary>
public sealed class AddPartitionsToTxnHandler(TransactionCoordinator transactions, Controller controller) : IRequestHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>
{
    /// <summary>The first version of the broker form (batched transactions, VerifyOnly, a top-level error code).</summary>
    private const short BrokerFormVersion = 4;

    public static ApiVersionRange Versions => new(0, 5);

    public async ValueTask<AddPartitionsToTxnResponse?> HandleAsync(RequestContext context, AddPartitionsToTxnRequest request, CancellationToken cancellationToken)
    {
        var response = new AddPartitionsToTxnResponse();
        if (context.ApiVersion < BrokerFormVersion)
        {
            response.ResultsByTopicV3AndBelow = await AddAsync(
                request.V3AndBelowTransactionalId, request.V3AndBelowProducerId, request.V3AndBelowProducerEpoch, request.V3AndBelowTopics, verifyOnly: false, context.ApiVersion).ConfigureAwait(false);
            return response;
        }

        var results = request.Transactions.Select(t => (Id: t.TransactionalId, Result: AddAsync(t.TransactionalId, t.ProducerId, t.ProducerEpoch, t.Topics, t.VerifyOnly, context.ApiVersion))).ToList();
        foreach (var (id, result) in results)
        {
            response.ResultsByTransaction.Add(new() { TransactionalId = id, TopicResults = await result.ConfigureAwait(false) });
        }

        return response;
    }

    private async Task<List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult>> AddAsync(
        string transactionalId, long producerId, short producerEpoch, List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics, bool verifyOnly, short version)
    {
        var partitions = topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p))).ToList();
        Func<TopicPartition, ErrorCode> errorOf;
        if (verifyOnly)
        {
            errorOf = tp => transactions.VerifyPartition(transactionalId, producerId, producerEpoch, tp);
        }
        else
        {
            var image = controller.Current;
            var unknown = partitions.Where(tp => !image.TryGetPartition(tp, out _)).ToHashSet();
            if (unknown.Count > 0)
            {
                errorOf = tp => unknown.Contains(tp) ? ErrorCode.UnknownTopicOrPartition : ErrorCode.OperationNotAttempted;
            }
            else
            {
                var error = await transactions.AddPartitionsAsync(transactionalId, producerId, producerEpoch, partitions).ConfigureAwait(false);
                error = TransactionErrors.ForVersion(error, version, fencedSince: 2);
                errorOf = _ => error;
            }
        }

        return [.. topics.Select(topic => new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult
        {
            Name = topic.Name,
            ResultsByPartition = [.. topic.Partitions.Select(p => new AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult { PartitionIndex = p, PartitionErrorCode = (short)errorOf(new TopicPartition(topic.Name, p)) })],
        })];
    }
}
