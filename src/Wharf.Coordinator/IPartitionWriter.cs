using Wharf.Common;

namespace Wharf.Coordinator;

/// <summary>
/// The coordinator's port to the log of its internal topic (<c>__consumer_offsets</c>, <c>__transaction_state</c>):
/// append a record batch to one of its partitions as leader at a given leader epoch, and read a partition back from its
/// start to rebuild state. Implemented by the server over the replica manager; tests use an in-memory log.
/// <para>
/// Contract: <see cref="AppendAsync"/> takes its position in the partition <b>before it returns</b> (appends are
/// ordered by call order, which the coordinator serialises per partition), and the returned task completes once
/// the batch is durable (committed: below the high watermark) or faults with a
/// <see cref="PartitionWriteException"/>. Batches become durable in append order.
/// </para>
/// <para>
/// Fencing: every append carries the partition leader epoch the coordinator was loaded at. The partition accepts it
/// only while this broker leads at exactly that epoch, and otherwise refuses it with NOT_COORDINATOR — so a coordinator
/// deposed before it noticed (a newer leader elsewhere, or here at a newer epoch) cannot write. The check belongs in
/// the partition's append path, atomically with the leader-epoch change, not in a check-then-append by the caller.
/// </para>
/// Thread-safety: implementations are safe from any thread; calls for one partition arrive one at a time.
/// </summary>
public interface IPartitionWriter
{
    /// <summary>
    /// Appends one record batch (magic 2, built by the coordinator) to <paramref name="partition"/>, provided this
    /// broker still leads it at <paramref name="leaderEpoch"/> (else a <see cref="PartitionWriteException"/> with
    /// NOT_COORDINATOR, thrown or as the task's fault).
    /// </summary>
    Task AppendAsync(int partition, int leaderEpoch, ReadOnlyMemory<byte> batch);

    /// <summary>
    /// The committed batches of <paramref name="partition"/> from its log start, in offset order, as chunks of whole
    /// batches. Used once when the coordinator takes over the partition.
    /// </summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(int partition, CancellationToken cancellationToken);
}

/// <summary>An append to the coordinator's partition failed; <see cref="Error"/> is what clients are told.</summary>
public sealed class PartitionWriteException(ErrorCode error, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode Error { get; } = error;
}
