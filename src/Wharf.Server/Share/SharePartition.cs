using Wharf.Common;
using Wharf.Coordinator.Share;

namespace Wharf.Server.Share;

/// <summary>
/// One share-partition served by this broker while it leads the topic partition at <see cref="LeaderEpoch"/>: the
/// in-flight window (<see cref="SharePartitionState"/>) plus what serving it needs — versions for group-committed state
/// writes and a signal for consumers waiting for released records.
/// <para>
/// Concurrency: <see cref="Gate"/> guards <see cref="State"/> and <see cref="ChangeVersion"/>; state writes are
/// serialised by <see cref="WriteGate"/> (never held with <see cref="Gate"/>), and each write carries the newest
/// snapshot, so one write covers every change made before it began.
/// </para>
/// </summary>
internal sealed class SharePartition(ShareKey key, TopicPartition topicPartition, int leaderEpoch, int stateEpoch, SharePartitionState state)
{
    private TaskCompletionSource _available = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ShareKey Key { get; } = key;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public int LeaderEpoch { get; } = leaderEpoch;

    public int StateEpoch { get; set; } = stateEpoch;

    public Lock Gate { get; } = new();

    /// <summary>Guarded by <see cref="Gate"/>.</summary>
    public SharePartitionState State { get; } = state;

    /// <summary>Bumped (under <see cref="Gate"/>) by every change that must be persisted.</summary>
    public long ChangeVersion { get; private set; }

    /// <summary>The newest version known durable (under <see cref="WriteGate"/>).</summary>
    public long PersistedVersion { get; set; }

    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    /// <summary>Set once this share-partition is no longer served here (leadership moved, state fenced).</summary>
    public bool Retired { get; set; }

    /// <summary>Completes at the next release, expiry or retirement: a waiting ShareFetch looks again.</summary>
    public Task Available => Volatile.Read(ref _available).Task;

    /// <summary>Call under <see cref="Gate"/>.</summary>
    public long MarkChanged() => ++ChangeVersion;

    public void SignalAvailable() =>
        Interlocked.Exchange(ref _available, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>The persisted form; call under <see cref="Gate"/>.</summary>
    public ShareSnapshot Snapshot() => new(StateEpoch, LeaderEpoch, State.StartOffset, State.Snapshot());
}
