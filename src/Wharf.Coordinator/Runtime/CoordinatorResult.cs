using Wharf.Common;

namespace Wharf.Coordinator.Runtime;

/// <summary>
/// What a write operation of a shard produces (Kafka's <c>CoordinatorResult</c>): the records to append and the
/// response to give once they are durable. The runtime appends <see cref="Records"/> as one batch; when the batch is
/// durable it replays them into the shard (unless <see cref="ReplayRecords"/> is false), runs
/// <see cref="OnCommitted"/>, and only then releases <see cref="Response"/>. When the append fails nothing is replayed,
/// <see cref="OnFailed"/> runs, and the caller gets <see cref="ErrorResponse"/> (or its own error response). A result
/// without records is answered at once. Immutable once handed to the runtime.
/// </summary>
/// <typeparam name="TResponse">The operation's response.</typeparam>
public sealed class CoordinatorResult<TResponse>(IReadOnlyList<CoordinatorRecord> records, TResponse response)
{
    /// <summary>A result without records: <paramref name="response"/> is given at once.</summary>
    public CoordinatorResult(TResponse response)
        : this([], response)
    {
    }

    public IReadOnlyList<CoordinatorRecord> Records { get; } = records;

    /// <summary>The response released once the records are durable.</summary>
    public TResponse Response { get; } = response;

    /// <summary>
    /// False when the shard's in-memory state is already ahead of the records (a classic group's generation, which
    /// Kafka's classic groups persist without replaying); the records then only make that state durable.
    /// </summary>
    public bool ReplayRecords { get; init; } = true;

    /// <summary>Runs on the event loop after the records were replayed (side effects: answering parked requests).</summary>
    public Action? OnCommitted { get; init; }

    /// <summary>Runs on the event loop when the append failed (the error as clients are told it).</summary>
    public Action<ErrorCode>? OnFailed { get; init; }

    /// <summary>The response when the append failed; null uses the caller's error response.</summary>
    public Func<ErrorCode, TResponse>? ErrorResponse { get; init; }
}
