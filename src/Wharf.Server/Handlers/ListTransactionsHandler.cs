using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ListTransactions (API 66), v0: transactional ids this coordinator knows, filtered by state names (Kafka's:
/// Empty, Ongoing, PrepareCommit, …) and producer ids; unknown state names are echoed back.
/// Thread-safety: stateless.
/// </summary>
public sealed class ListTransactionsHandler(TransactionCoordinator transactions) : IRequestHandler<ListTransactionsRequest, ListTransactionsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public ValueTask<ListTransactionsResponse?> HandleAsync(RequestContext context, ListTransactionsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListTransactionsResponse();
        if (transactions.IsLoading)
        {
            response.ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress;
            return ValueTask.FromResult<ListTransactionsResponse?>(response);
        }

        var states = new HashSet<TransactionState>();
        foreach (var name in request.StateFilters)
        {
            if (Enum.TryParse<TransactionState>(name, ignoreCase: false, out var state) && Enum.IsDefined(state))
            {
                states.Add(state);
            }
            else
            {
                response.UnknownStateFilters.Add(name);
            }
        }

        var producers = request.ProducerIdFilters.ToHashSet();
        foreach (var description in transactions.ListTransactions())
        {
            if ((request.StateFilters.Count == 0 || states.Contains(description.Snapshot.State))
                && (producers.Count == 0 || producers.Contains(description.Snapshot.ProducerId)))
            {
                response.TransactionStates.Add(new()
                {
                    TransactionalId = description.TransactionalId,
                    ProducerId = description.Snapshot.ProducerId,
                    TransactionState = description.Snapshot.State.ToString(),
                });
            }
        }

        return ValueTask.FromResult<ListTransactionsResponse?>(response);
    }
}
