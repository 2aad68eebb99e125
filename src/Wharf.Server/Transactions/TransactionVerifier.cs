using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Transactions;

/// <summary>
/// The produce path's KIP-890 (part 1) check, wherever the transaction's coordinator is: may this producer write
/// transactional batches to these partitions now — is its transaction Ongoing with them added, at its current epoch?
/// The coordinator is the leader of the transactional id's <c>__transaction_state</c> partition in the current
/// metadata image. When that is this broker it answers in-process
/// (<see cref="TransactionCoordinator.VerifyPartition"/>); otherwise an AddPartitionsToTxn v4 request with
/// <c>VerifyOnly</c> (the broker-to-broker form, as Kafka's <c>AddPartitionsToTxnManager</c> sends) asks it, over a
/// <see cref="BrokerConnectionPool"/>. Every call asks afresh: nothing is cached, so a transaction that ended or a
/// producer that was fenced is seen at once.
/// <para>
/// Errors, per partition, as the coordinator gives them (PRODUCER_FENCED read as INVALID_PRODUCER_EPOCH, as Kafka's
/// producers expect); COORDINATOR_NOT_AVAILABLE when the image names no live leader for the id's partition,
/// NETWORK_EXCEPTION when the coordinator could not be reached. <see cref="ProduceError"/> turns them into what a
/// producer is told.
/// </para>
/// Thread-safety: safe from any thread.
/// </summary>
public sealed class TransactionVerifier(TransactionCoordinator transactions, Controller controller, BrokerConnectionPool connections, ILogger<TransactionVerifier> logger)
{
    /// <summary>AddPartitionsToTxn version of the verify-only, broker-to-broker form.</summary>
    private const short VerifyVersion = 4;

    public async Task<IReadOnlyDictionary<TopicPartition, ErrorCode>> VerifyAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        var image = controller.Current;
        var statePartition = new TopicPartition(TransactionCoordinator.StateTopic, transactions.PartitionFor(transactionalId));
        if (!image.TryGetPartition(statePartition, out var coordinator) || coordinator.Leader < 0 || !image.IsLive(coordinator.Leader))
        {
            return partitions.ToDictionary(p => p, _ => ErrorCode.CoordinatorNotAvailable);
        }

        if (coordinator.Leader == image.NodeId)
        {
            return partitions.ToDictionary(p => p, p => transactions.VerifyPartition(transactionalId, producerId, producerEpoch, p));
        }

        var transaction = new AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction
        {
            TransactionalId = transactionalId,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            VerifyOnly = true,
        };
        foreach (var topic in partitions.GroupBy(p => p.Topic))
        {
            transaction.Topics.Add(new() { Name = topic.Key, Partitions = [.. topic.Select(p => p.Partition)] });
        }

        AddPartitionsToTxnResponse response;
        try
        {
            response = await connections.SendAsync<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(
                coordinator.Leader, new AddPartitionsToTxnRequest { Transactions = [transaction] }, VerifyVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            logger.LogInformation("Verifying the transaction of {TransactionalId} with its coordinator (broker {Broker}) failed: {Message}", transactionalId, coordinator.Leader, e.Message);
            return partitions.ToDictionary(p => p, _ => ErrorCode.NetworkException);
        }

        if (response.ErrorCode != 0)
        {
            return partitions.ToDictionary(p => p, _ => (ErrorCode)response.ErrorCode);
        }

        var answered = response.ResultsByTransaction
            .Where(t => t.TransactionalId == transactionalId)
            .SelectMany(t => t.TopicResults.SelectMany(topic => topic.ResultsByPartition.Select(p => (Partition: new TopicPartition(topic.Name, p.PartitionIndex), Error: (ErrorCode)p.PartitionErrorCode))))
            .ToDictionary(r => r.Partition, r => r.Error == ErrorCode.ProducerFenced ? ErrorCode.InvalidProducerEpoch : r.Error);

        // A partition the coordinator left out was not verified.
        return partitions.ToDictionary(p => p, p => answered.GetValueOrDefault(p, ErrorCode.InvalidTxnState));
    }

    /// <summary>
    /// What a producer is told for a failed verification, as Kafka's brokers answer Produce before KIP-890 part 2: a
    /// coordinator that is moving, loading, busy or out of reach becomes NOT_ENOUGH_REPLICAS — retriable for every
    /// client without a metadata refresh — and any other error stays (INVALID_TXN_STATE: the partition is not in the
    /// transaction; INVALID_PRODUCER_EPOCH: the producer was fenced).
    /// </summary>
    public static ErrorCode ProduceError(ErrorCode verification) => verification switch
    {
        ErrorCode.NetworkException or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable
            or ErrorCode.NotCoordinator or ErrorCode.ConcurrentTransactions => ErrorCode.NotEnoughReplicas,
        ErrorCode.ProducerFenced => ErrorCode.InvalidProducerEpoch,
        _ => verification,
    };
}
