namespace Wharf.Client;

/// <summary>The outcome of <see cref="ShareConsumer.CommitSync"/> for one partition.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Error">
/// Null when the broker accepted the partition's acknowledgements; else why not, for example
/// <c>REQUEST_TIMED_OUT</c> when the timeout ran out first, <c>INVALID_RECORD_STATE</c>, or a share-session error.
/// Failed acknowledgements are not retried; the records' locks expire and they are delivered again.
/// </param>
public sealed record SharePartitionCommitResult(string Topic, int Partition, ShareError? Error)
{
    /// <summary>True when <see cref="Error"/> is null.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// What the broker said about one partition's acknowledgements, however they were sent (piggybacked on a
/// <see cref="ShareConsumer.Consume"/>, by <see cref="ShareConsumer.CommitAsync"/> or
/// <see cref="ShareConsumer.CommitSync"/>, or on close); passed to the callback given to the consumer.
/// </summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offsets">The offsets whose acknowledgements this outcome covers.</param>
/// <param name="Error">Null on success; else why the broker did not apply them.</param>
public sealed record ShareAcknowledgementCommit(string Topic, int Partition, IReadOnlyList<long> Offsets, ShareError? Error);
