using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// AddOffsetsToTxn (API 25), v0–3: adds the group's <c>__consumer_offsets</c> partition to the transaction, so its
/// TxnOffsetCommit is allowed and the COMMIT/ABORT marker reaches it. Thread-safety: stateless.
/// </summary>
public sealed class AddOffsetsToTxnHandler(TransactionCoordinator transactions, GroupCoordinator groups) : IRequestHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public async ValueTask<AddOffsetsToTxnResponse?> HandleAsync(RequestContext context, AddOffsetsToTxnRequest request, CancellationToken cancellationToken)
    {
        var error = string.IsNullOrEmpty(request.GroupId)
            ? Common.ErrorCode.InvalidGroupId
            : await transactions.AddOffsetsAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.GroupId, groups.PartitionCount).ConfigureAwait(false);
        return new AddOffsetsToTxnResponse { ErrorCode = (short)TransactionErrors.ForVersion(error, context.ApiVersion, fencedSince: 2) };
    }
}
