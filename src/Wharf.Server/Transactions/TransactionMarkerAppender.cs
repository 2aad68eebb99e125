using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Records;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Transactions;

/// <summary>
/// Writes one transaction marker into one partition this broker leads — the work of WriteTxnMarkers, shared by its
/// handler and by the transaction coordinator's in-process path (<see cref="TransactionMarkerRouter"/>). The marker is a
/// COMMIT/ABORT control batch of the producer carrying the coordinator epoch, appended with
/// <see cref="AppendOrigin.Coordinator"/> (only the producer epoch and the coordinator epoch are checked) and acks=all, as
/// Kafka appends markers. A marker for <c>__consumer_offsets</c> goes through the group coordinator, which appends it
/// and, once it is durable, commits or drops the producer's pending transactional offsets.
/// <para>
/// Answers, as Kafka's WriteTxnMarkers does per partition: NONE once durable; NOT_LEADER_OR_FOLLOWER when this broker
/// does not lead the partition (or its group coordinator is not loaded yet); UNKNOWN_TOPIC_OR_PARTITION when the
/// metadata does not know it; INVALID_PRODUCER_EPOCH when the producer has moved to a newer epoch;
/// TRANSACTION_COORDINATOR_FENCED when a newer coordinator already wrote this producer's marker here;
/// NOT_ENOUGH_REPLICAS or KAFKA_STORAGE_ERROR as for a produce.
/// </para>
/// Thread-safety: stateless over thread-safe partitions and coordinators.
/// </summary>
public sealed class TransactionMarkerAppender(ReplicaManager replicas, GroupCoordinator groups, ILogger<TransactionMarkerAppender> logger)
{
    /// <summary>How long a marker waits for the in-sync replicas (Kafka's <c>request.timeout.ms</c> default); the coordinator then retries.</summary>
    private static readonly TimeSpan MarkerTimeout = TimeSpan.FromSeconds(30);

    public async Task<ErrorCode> AppendAsync(TransactionMarker marker, TopicPartition topicPartition)
    {
        if (marker.ProducerId < 0 || marker.ProducerEpoch < 0)
        {
            return ErrorCode.InvalidRequest;
        }

        var (partition, unavailable) = replicas.GetPartitionOrError(topicPartition);
        if (partition is null)
        {
            return unavailable;
        }

        if (topicPartition.Topic == GroupCoordinator.OffsetsTopic)
        {
            var error = await groups.CompleteTransactionAsync(topicPartition.Partition, marker.ProducerId, marker.ProducerEpoch, marker.CoordinatorEpoch, marker.Commit).ConfigureAwait(false);

            // Not loaded here (yet), moving away, or loading: the coordinator retries, as Kafka tells it.
            return error is ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable or ErrorCode.CoordinatorLoadInProgress ? ErrorCode.NotLeaderOrFollower : error;
        }

        var builder = new RecordBatchBuilder { ProducerId = marker.ProducerId, ProducerEpoch = marker.ProducerEpoch };
        builder.AppendEndTransactionMarker(new EndTransactionMarker(marker.Commit ? ControlRecordType.Commit : ControlRecordType.Abort, marker.CoordinatorEpoch), replicas.Time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            await partition.AppendAsLeaderAsync(builder.ToArray(), AppendOrigin.Coordinator, requiredAcks: -1, timeout: MarkerTimeout).ConfigureAwait(false);
            return ErrorCode.None;
        }
        catch (ProducerStateException e)
        {
            logger.LogInformation("Transaction marker of producer {ProducerId} for {Partition} refused: {Message}", marker.ProducerId, topicPartition, e.Message);
            return e.ErrorCode;
        }
        catch (LogException e)
        {
            logger.Log(e.ErrorCode == ErrorCode.NotLeaderOrFollower ? LogLevel.Debug : LogLevel.Warning, "Transaction marker append to {Partition} failed: {Error}", topicPartition, e.Message);
            return e.ErrorCode == ErrorCode.None ? ErrorCode.UnknownServerError : e.ErrorCode;
        }
        catch (ObjectDisposedException)
        {
            return ErrorCode.NotLeaderOrFollower; // the partition was stopped under the append
        }
    }
}
