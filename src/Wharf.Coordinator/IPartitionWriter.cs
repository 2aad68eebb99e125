using Wharf.Common;

namespace Wharf.Coordinator;

/// <summary>
/// The coordinator's port to the log of its internal topic (<c>__consumer_offsets</c>): append a record batch to
/// one of its partitions as leader, and read a partition back from its start to rebuild state. Implemented by the
/// server over the replica manager; tests use an in-memory log.
/// <para>
/// Contract: <see cref="AppendAsync"/> takes its position in the partition <b>before it returns</b> (appends are
/// ordered by call order, which the coordinator serialises per partition), and the returned task completes once
/// the batch is durable (committed: below the high watermark) or faults with a
/// <see cref="PartitionWriteException"/>. Batches become durable in append order.
/// </para>
/// Thread-safety: implementations are safe from any thread; calls for one partition arrive one at a time.
/// </summary>
public interface IPartitionWriter
{
    /// <summary>Appends one record batch (magic 2, built by the coordinator) to <paramref name="partition"/>.</summary>
    Task AppendAsync(int partition, ReadOnlyMemory<byte> batch);

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
