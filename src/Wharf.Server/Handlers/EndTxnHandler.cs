using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// EndTxn (API 26), v0–3: commits or aborts. Answered once PrepareCommit/PrepareAbort is durable in
/// <c>__transaction_state</c>; the markers and the Complete state follow (a retry meanwhile gets
/// CONCURRENT_TRANSACTIONS, after that success). Thread-safety: stateless.
/// </summary>
public sealed class EndTxnHandler(TransactionCoordinator transactions) : IRequestHandler<EndTxnRequest, EndTxnResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public async ValueTask<EndTxnResponse?> HandleAsync(RequestContext context, EndTxnRequest request, CancellationToken cancellationToken)
    {
        var error = await transactions.EndTransactionAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.Committed).ConfigureAwait(false);
        return new EndTxnResponse { ErrorCode = (short)TransactionErrors.ForVersion(error, context.ApiVersion, fencedSince: 2) };
    }
}
