using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// InitProducerId (API 22), v0–4. Without a <c>transactional.id</c> (an idempotent producer) every request gets a
/// fresh producer id at epoch 0 from the <see cref="ProducerIdManager"/>, as in Kafka — also a v3+ request that
/// names its current id and epoch (KIP-360): idempotent producers bump their epoch themselves, and the partitions
/// accept a higher epoch starting at sequence 0. With a <c>transactional.id</c> the transaction coordinator keeps the
/// id's producer id and bumps its epoch (fencing the previous producer; an ongoing transaction is aborted first and
/// the client retries on CONCURRENT_TRANSACTIONS); COORDINATOR_NOT_AVAILABLE when the broker has no coordinator.
/// A failed block allocation answers COORDINATOR_LOAD_IN_PROGRESS, which clients retry (Kafka does the same).
/// Thread-safety: stateless; one instance serves all connections.
/// </summary>
public sealed class InitProducerIdHandler(ProducerIdManager producerIds, ILogger<InitProducerIdHandler> logger, TransactionCoordinator? transactions = null) : IRequestHandler<InitProducerIdRequest, InitProducerIdResponse>
{
    public static ApiVersionRange Versions => new(0, 4);

    public async ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request, CancellationToken cancellationToken)
    {
        if (request.TransactionalId is not null)
        {
            if (transactions is null)
            {
                logger.LogInformation("InitProducerId for transactional id {TransactionalId} from {Client}: no transaction coordinator", request.TransactionalId, context.ClientId);
                return Fail(ErrorCode.CoordinatorNotAvailable);
            }

            var (txnError, id, epoch) = await transactions.InitProducerIdAsync(request.TransactionalId, request.TransactionTimeoutMs, request.ProducerId, request.ProducerEpoch).ConfigureAwait(false);
            return txnError == ErrorCode.None
                ? new InitProducerIdResponse { ProducerId = id, ProducerEpoch = epoch }
                : Fail(TransactionErrors.ForVersion(txnError, context.ApiVersion, fencedSince: 4));
        }

        var (error, producerId) = await producerIds.GenerateProducerIdAsync(cancellationToken).ConfigureAwait(false);
        return error == ErrorCode.None
            ? new InitProducerIdResponse { ProducerId = producerId, ProducerEpoch = 0 }
            : Fail(ErrorCode.CoordinatorLoadInProgress);
    }

    private static InitProducerIdResponse Fail(ErrorCode error) => new() { ErrorCode = (short)error, ProducerId = -1, ProducerEpoch = -1 };
}
