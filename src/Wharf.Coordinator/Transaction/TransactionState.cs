using Wharf.Common;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// Where a transactional id's current transaction is (Kafka's <c>TransactionState</c>; the byte values are the ones
/// written to <c>__transaction_state</c>). Transitions:
/// <code>
/// Empty ─AddPartitions/AddOffsets→ Ongoing ─EndTxn(commit)→ PrepareCommit ─markers written→ CompleteCommit
///                                          ─EndTxn(abort), timeout, InitProducerId (fence)→ PrepareAbort ─markers→ CompleteAbort
/// CompleteCommit/CompleteAbort/Empty ─AddPartitions→ Ongoing;  ─InitProducerId→ Empty (epoch bumped)
/// </code>
/// PrepareEpochFence is Kafka's transient state while fencing; it is never written (Wharf writes PrepareAbort with
/// the bumped epoch directly). Dead is a removed id.
/// </summary>
public enum TransactionState : byte
{
    Empty = 0,
    Ongoing = 1,
    PrepareCommit = 2,
    PrepareAbort = 3,
    CompleteCommit = 4,
    CompleteAbort = 5,
    Dead = 6,
    PrepareEpochFence = 7,
}

/// <summary>
/// What <c>__transaction_state</c> holds for one transactional id: the value of its newest record (see
/// <see cref="TransactionLogRecords"/>). Immutable; the coordinator replaces it with each durable write.
/// </summary>
public sealed record TransactionSnapshot(
    long ProducerId,
    short ProducerEpoch,
    int TimeoutMs,
    TransactionState State,
    IReadOnlyList<TopicPartition> Partitions,
    long LastUpdateTimestampMs,
    long StartTimestampMs);

/// <summary>A transactional id as the admin APIs (ListTransactions, DescribeTransactions) see it.</summary>
public sealed record TransactionDescription(string TransactionalId, TransactionSnapshot Snapshot);
