using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeTransactions (API 65), v0: state, timeout, start time, producer id/epoch and partitions of each id
/// (TRANSACTIONAL_ID_NOT_FOUND for an unknown one). Thread-safety: stateless.
/// </summary>
public sealed class DescribeTransactionsHandler(TransactionCoordinator transactions) : IRequestHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public ValueTask<DescribeTransactionsResponse?> HandleAsync(RequestContext context, DescribeTransactionsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeTransactionsResponse();
        foreach (var id in request.TransactionalIds)
        {
            var (error, description) = transactions.DescribeTransaction(id);
            var entry = new DescribeTransactionsResponse.TransactionStateEntry { ErrorCode = (short)error, TransactionalId = id, TransactionState = "", ProducerId = -1, ProducerEpoch = -1, TransactionStartTimeMs = -1 };
            if (description?.Snapshot is { } snapshot)
            {
                entry.TransactionState = snapshot.State.ToString();
                entry.TransactionTimeoutMs = snapshot.TimeoutMs;
                entry.TransactionStartTimeMs = snapshot.StartTimestampMs;
                entry.ProducerId = snapshot.ProducerId;
                entry.ProducerEpoch = snapshot.ProducerEpoch;
                foreach (var topic in snapshot.Partitions.GroupBy(p => p.Topic).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    entry.Topics.Add(new() { Topic = topic.Key, Partitions = [.. topic.Select(p => p.Partition).Order()] });
                }
            }

            response.TransactionStates.Add(entry);
        }

        return ValueTask.FromResult<DescribeTransactionsResponse?>(response);
    }
}
