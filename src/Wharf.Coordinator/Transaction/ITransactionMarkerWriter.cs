using Wharf.Common;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// The coordinator's port for WriteTxnMarkers (API 27): appends a COMMIT or ABORT control batch of the producer to
/// each partition of a transaction, on that partition's leader, bypassing the checks a client's Produce gets (only
/// the producer and coordinator epochs are checked). A leader on this broker gets an in-process append; a leader
/// elsewhere a WriteTxnMarkers request over the network.
/// <para>
/// Contract: the task completes once every marker that succeeded is durable, with the partitions that failed and
/// should be retried (not leader here, storage error) — an implementation may instead retry them itself until
/// <c>cancellationToken</c> is cancelled (the coordinator's unload), as the broker's does. A partition that no longer
/// exists, whose producer has moved to a newer epoch, or that a newer coordinator already ended (the marker is
/// stale) counts as done.
/// </para>
/// Thread-safety: implementations are safe from any thread.
/// </summary>
public interface ITransactionMarkerWriter
{
    Task<IReadOnlyList<(TopicPartition Partition, ErrorCode Error)>> WriteMarkersAsync(TransactionMarker marker, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken);
}

/// <summary>One WriteTxnMarkers entry: whose transaction, which result, and the coordinator epoch that decided it.</summary>
public readonly record struct TransactionMarker(long ProducerId, short ProducerEpoch, int CoordinatorEpoch, bool Commit);
