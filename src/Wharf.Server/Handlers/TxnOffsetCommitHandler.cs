using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;
using Wharf.Server.Transactions;

namespace Wharf.Server.Handlers;

/// <summary>
/// TxnOffsetCommit (API 28), v0–3: a consumer group's offsets inside a transaction. The transaction must have added the
/// group's offsets partition (AddOffsetsToTxn) at the producer's current epoch (KIP-890 part 1, asked of the
/// transaction's coordinator wherever it is: <see cref="TransactionVerifier"/>): else INVALID_TXN_STATE, or
/// INVALID_PRODUCER_EPOCH/PRODUCER_FENCED for an old epoch; a transaction coordinator that cannot answer now makes it
/// COORDINATOR_NOT_AVAILABLE (the client retries), as Kafka answers. The group coordinator writes the offsets at once
/// and makes them visible with the COMMIT marker. Thread-safety: stateless.
/// </summary>
public sealed class TxnOffsetCommitHandler(TransactionVerifier transactions, GroupCoordinator groups) : IRequestHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public async ValueTask<TxnOffsetCommitResponse?> HandleAsync(RequestContext context, TxnOffsetCommitRequest request, CancellationToken cancellationToken)
    {
        var offsetsPartition = TransactionCoordinator.OffsetsPartition(request.GroupId ?? "", groups.PartitionCount);
        var verified = await transactions.VerifyAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, [offsetsPartition], cancellationToken).ConfigureAwait(false);
        var error = verified[offsetsPartition] switch
        {
            ErrorCode.InvalidProducerEpoch or ErrorCode.ProducerFenced => TransactionErrors.ForVersion(ErrorCode.ProducerFenced, context.ApiVersion, fencedSince: 3),
            ErrorCode.NetworkException or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable
                or ErrorCode.NotCoordinator or ErrorCode.ConcurrentTransactions => ErrorCode.CoordinatorNotAvailable,
            var other => other,
        };
        if (error != ErrorCode.None)
        {
            var response = new TxnOffsetCommitResponse();
            foreach (var topic in request.Topics)
            {
                response.Topics.Add(new()
                {
                    Name = topic.Name,
                    Partitions = [.. topic.Partitions.Select(p => new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error })],
                });
            }

            return response;
        }

        return await groups.TxnCommitOffsetsAsync(request).ConfigureAwait(false);
    }
}
