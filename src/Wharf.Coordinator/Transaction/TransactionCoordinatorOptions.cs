namespace Wharf.Coordinator.Transaction;

/// <summary>Settings of the transaction coordinator, named after Kafka's broker keys; defaults are Kafka's.</summary>
public sealed record TransactionCoordinatorOptions
{
    /// <summary><c>transaction.state.log.num.partitions</c>: an id lives in partition <c>abs(javaHash(id)) % this</c>.</summary>
    public int StateTopicPartitions { get; init; } = 50;

    /// <summary><c>transaction.max.timeout.ms</c>: a producer asking for more gets INVALID_TRANSACTION_TIMEOUT.</summary>
    public TimeSpan MaxTransactionTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary><c>transaction.abort.timed.out.transaction.cleanup.interval.ms</c>: how often timed-out transactions are aborted.</summary>
    public TimeSpan AbortTimedOutTransactionsInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>transactional.id.expiration.ms</c>: an id whose transaction is finished (Empty, CompleteCommit,
    /// CompleteAbort) and whose state has not changed for this long is forgotten — a tombstone is written to
    /// <c>__transaction_state</c>, so its producer id and epoch are gone after a restart too. Checked every
    /// <see cref="AbortTimedOutTransactionsInterval"/>. Never while a transaction is in progress.
    /// </summary>
    public TimeSpan TransactionalIdExpiration { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Wait between attempts to write markers (or a completion record) that failed.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
}
