using System.Globalization;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Replication;
using Wharf.Server.Handlers;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// Wires the transaction coordinator into the broker: ensures <c>__transaction_state</c> exists (compacted,
/// <c>transaction.state.log.num.partitions</c> partitions), builds the coordinator over it with the in-process
/// WriteTxnMarkers path (<see cref="TransactionMarkerWriter"/>), elects it for the partitions this node leads (see
/// <see cref="GroupCoordinatorSetup"/> for wiring leadership changes), and registers the transaction APIs' handlers. Start it after the group coordinator: markers for <c>__consumer_offsets</c> go there.
/// </summary>
public static class TransactionCoordinatorSetup
{
    /// <summary><c>__transaction_state</c> as the broker config describes it (compacted, <c>transaction.state.log.*</c>).</summary>
    public static CreateTopicRequest StateTopicRequest(BrokerConfig config) => new(
        TransactionCoordinator.StateTopic,
        config.TransactionStateLogNumPartitions,
        (short)config.GetInt("transaction.state.log.replication.factor"),
        [
            new("cleanup.policy", "compact"),
            new("segment.bytes", config.GetInt("transaction.state.log.segment.bytes").ToString(CultureInfo.InvariantCulture)),
            new("min.insync.replicas", config.GetInt("transaction.state.log.min.isr").ToString(CultureInfo.InvariantCulture)),
        ]);

    /// <summary>As <see cref="GroupCoordinatorSetup.StartAsync"/>, for <c>__transaction_state</c>.</summary>
    public static async Task<TransactionCoordinator> StartAsync(BrokerConfig config, Controller controller, ReplicaManager replicas, GroupCoordinator groups, ProducerIdManager producerIds, bool createTopic, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (createTopic)
        {
            var created = await controller.EnsureTopicAsync(StateTopicRequest(config), cancellationToken).ConfigureAwait(false);
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
        var markers = new TransactionMarkerWriter(replicas, groups, loggerFactory.CreateLogger<TransactionMarkerWriter>());
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

    /// <summary>Registers AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, ListTransactions, DescribeTransactions and DescribeProducers.</summary>
    public static HandlerRegistry.Builder AddTransactionHandlers(this HandlerRegistry.Builder builder, TransactionCoordinator transactions, GroupCoordinator groups, Controller controller, ReplicaManager replicas) => builder
        .Add<AddPartitionsToTxnHandler, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(new AddPartitionsToTxnHandler(transactions, controller))
        .Add<AddOffsetsToTxnHandler, AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(new AddOffsetsToTxnHandler(transactions, groups))
        .Add<EndTxnHandler, EndTxnRequest, EndTxnResponse>(new EndTxnHandler(transactions))
        .Add<TxnOffsetCommitHandler, TxnOffsetCommitRequest, TxnOffsetCommitResponse>(new TxnOffsetCommitHandler(transactions, groups))
        .Add<ListTransactionsHandler, ListTransactionsRequest, ListTransactionsResponse>(new ListTransactionsHandler(transactions))
        .Add<DescribeTransactionsHandler, DescribeTransactionsRequest, DescribeTransactionsResponse>(new DescribeTransactionsHandler(transactions))
        .Add<DescribeProducersHandler, DescribeProducersRequest, DescribeProducersResponse>(new DescribeProducersHandler(replicas));
}

/// <summary>
/// The in-process WriteTxnMarkers path: for each partition of a transaction, a COMMIT/ABORT control batch of the producer
/// appended by this leader (<see cref="AppendOrigin.Coordinator"/>: only the epoch is checked). Markers for
/// <c>__consumer_offsets</c> go through the group coordinator, which commits or drops the transactional offsets with
/// them. All partitions are written concurrently so one group-commit fsync covers them.
/// Thread-safety: stateless over thread-safe partitions.
/// </summary>
public sealed class TransactionMarkerWriter(ReplicaManager replicas, GroupCoordinator groups, ILogger<TransactionMarkerWriter> logger) : ITransactionMarkerWriter
{
    public async Task<IReadOnlyList<(TopicPartition Partition, ErrorCode Error)>> WriteMarkersAsync(TransactionMarker marker, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        var writes = partitions.Select(p => (Partition: p, Result: WriteAsync(marker, p))).ToList();
        var failed = new List<(TopicPartition, ErrorCode)>();
        foreach (var (partition, result) in writes)
        {
            var error = await result.ConfigureAwait(false);
            if (error != ErrorCode.None)
            {
                failed.Add((partition, error));
            }
        }

        return failed;
    }

    private async Task<ErrorCode> WriteAsync(TransactionMarker marker, TopicPartition topicPartition)
    {
        if (topicPartition.Topic == GroupCoordinator.OffsetsTopic)
        {
            var error = await groups.CompleteTransactionAsync(topicPartition.Partition, marker.ProducerId, marker.ProducerEpoch, marker.CoordinatorEpoch, marker.Commit).ConfigureAwait(false);
            return error == ErrorCode.InvalidProducerEpoch ? ErrorCode.None : error;
        }

        if (replicas.GetPartition(topicPartition) is not { } partition)
        {
            logger.LogInformation("Skipping the transaction marker of producer {ProducerId} for {Partition}: not hosted (deleted?)", marker.ProducerId, topicPartition);
            return ErrorCode.None;
        }

        var builder = new RecordBatchBuilder { ProducerId = marker.ProducerId, ProducerEpoch = marker.ProducerEpoch };
        builder.AppendEndTransactionMarker(new EndTransactionMarker(marker.Commit ? ControlRecordType.Commit : ControlRecordType.Abort, marker.CoordinatorEpoch), replicas.Time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            await partition.AppendAsLeaderAsync(builder.ToArray(), AppendOrigin.Coordinator).ConfigureAwait(false);
            return ErrorCode.None;
        }
        catch (ProducerStateException e) when (e.ErrorCode == ErrorCode.InvalidProducerEpoch)
        {
            logger.LogInformation("Stale transaction marker for {Partition} dropped: {Message}", topicPartition, e.Message);
            return ErrorCode.None;
        }
        catch (LogException e)
        {
            logger.LogWarning("Transaction marker append to {Partition} failed: {Error}", topicPartition, e.Message);
            return e.ErrorCode == ErrorCode.None ? ErrorCode.UnknownServerError : e.ErrorCode;
        }
        catch (ObjectDisposedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
    }
}
