using System.Globalization;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Server.Handlers;
using Wharf.Server.Transactions;

namespace Wharf.Server;

/// <summary>
/// Wires the transaction coordinator into the broker: ensures <c>__transaction_state</c> exists (compacted,
/// <c>transaction.state.log.num.partitions</c> partitions), builds the coordinator over it with markers routed to each
/// partition's leader (<see cref="TransactionMarkerRouter"/>: in-process here, WriteTxnMarkers to other brokers), elects
/// it for the partitions this node leads (see <see cref="GroupCoordinatorSetup"/> for wiring leadership changes), and
/// registers the transaction APIs' handlers. Start it after the group coordinator: markers for <c>__consumer_offsets</c>
/// go there.
/// </summary>
public static class TransactionCoordinatorSetup
{
    /// <summary>
    /// <c>__transaction_state</c> as the broker config describes it (compacted, <c>transaction.state.log.*</c>), its
    /// replication factor for the live brokers of <paramref name="image"/> unless configured (<see cref="DefaultReplicationFactor"/>).
    /// </summary>
    public static CreateTopicRequest StateTopicRequest(BrokerConfig config, MetadataImage image) => new(
        TransactionCoordinator.StateTopic,
        config.TransactionStateLogNumPartitions,
        DefaultReplicationFactor.For(config, "transaction.state.log.replication.factor", image),
        [
            new("cleanup.policy", "compact"),
            new("segment.bytes", config.GetInt("transaction.state.log.segment.bytes").ToString(CultureInfo.InvariantCulture)),
            new("min.insync.replicas", config.GetInt("transaction.state.log.min.isr").ToString(CultureInfo.InvariantCulture)),
        ]);

    /// <summary>
    /// As <see cref="GroupCoordinatorSetup.StartAsync"/>, for <c>__transaction_state</c>; markers for other brokers travel
    /// on <paramref name="markerConnections"/> (the caller owns them).
    /// </summary>
    public static async Task<TransactionCoordinator> StartAsync(BrokerConfig config, Controller controller, ReplicaManager replicas, GroupCoordinator groups, ProducerIdManager producerIds, BrokerConnectionPool markerConnections, bool createTopic, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (createTopic)
        {
            var created = await controller.EnsureTopicAsync(StateTopicRequest(config, controller.Current), cancellationToken).ConfigureAwait(false);
            if (created.Error != ErrorCode.None)
            {
                throw new InvalidOperationException($"Could not create {TransactionCoordinator.StateTopic}: {created.Error} {created.ErrorMessage}");
            }
        }

        controller.Current.TryGetTopic(TransactionCoordinator.StateTopic, out var topic);
        var options = new TransactionCoordinatorOptions
        {
            StateTopicPartitions = topic?.PartitionCount ?? config.TransactionStateLogNumPartitions,
            MaxTransactionTimeout = TimeSpan.FromMilliseconds(config.TransactionMaxTimeoutMs),
            TransactionalIdExpiration = TimeSpan.FromMilliseconds(config.TransactionalIdExpirationMs),
            AbortTimedOutTransactionsInterval = TimeSpan.FromMilliseconds(config.GetInt("transaction.abort.timed.out.transaction.cleanup.interval.ms")),
        };
        var markers = new TransactionMarkerRouter(controller, MarkerAppender(replicas, groups, loggerFactory), markerConnections, time, loggerFactory.CreateLogger<TransactionMarkerRouter>());
        var coordinator = new TransactionCoordinator(
            new InternalTopicWriter(replicas, TransactionCoordinator.StateTopic), markers, producerIds.GenerateProducerIdAsync, options, time, loggerFactory);
        try
        {
            var led = (topic?.Partitions.Values ?? []).Where(p => p.Leader == controller.Current.NodeId).ToList();
            await Task.WhenAll(led.Select(p => coordinator.OnElection(p.Partition, GroupCoordinatorSetup.LeaderEpochOf(replicas, TransactionCoordinator.StateTopic, p), cancellationToken))).ConfigureAwait(false);
            // One line for the whole topic; each partition's own line is at Debug (50 of them would bury the banner).
            loggerFactory.CreateLogger(typeof(TransactionCoordinatorSetup)).LogInformation("Loaded {Count} transactional ids from {Partitions} {Topic} partitions", led.Sum(p => coordinator.TransactionalIdCount(p.Partition)), led.Count, TransactionCoordinator.StateTopic);
        }
        catch
        {
            coordinator.Dispose();
            throw;
        }

        return coordinator;
    }

    /// <summary>Writes WriteTxnMarkers' markers into the partitions this broker leads.</summary>
    public static TransactionMarkerAppender MarkerAppender(ReplicaManager replicas, GroupCoordinator groups, ILoggerFactory loggerFactory) =>
        new(replicas, groups, loggerFactory.CreateLogger<TransactionMarkerAppender>());

    /// <summary>Registers AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, WriteTxnMarkers, ListTransactions, DescribeTransactions and DescribeProducers.</summary>
    public static HandlerRegistry.Builder AddTransactionHandlers(this HandlerRegistry.Builder builder, TransactionCoordinator transactions, GroupCoordinator groups, Controller controller, ReplicaManager replicas, TransactionVerifier verifier, ILoggerFactory loggerFactory) => builder
        .Add<AddPartitionsToTxnHandler, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(new AddPartitionsToTxnHandler(transactions, controller))
        .Add<WriteTxnMarkersHandler, WriteTxnMarkersRequest, WriteTxnMarkersResponse>(new WriteTxnMarkersHandler(MarkerAppender(replicas, groups, loggerFactory)))
        .Add<AddOffsetsToTxnHandler, AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(new AddOffsetsToTxnHandler(transactions, groups))
        .Add<EndTxnHandler, EndTxnRequest, EndTxnResponse>(new EndTxnHandler(transactions))
        .Add<TxnOffsetCommitHandler, TxnOffsetCommitRequest, TxnOffsetCommitResponse>(new TxnOffsetCommitHandler(verifier, groups))
        .Add<ListTransactionsHandler, ListTransactionsRequest, ListTransactionsResponse>(new ListTransactionsHandler(transactions))
        .Add<DescribeTransactionsHandler, DescribeTransactionsRequest, DescribeTransactionsResponse>(new DescribeTransactionsHandler(transactions))
        .Add<DescribeProducersHandler, DescribeProducersRequest, DescribeProducersResponse>(new DescribeProducersHandler(replicas));
}
