namespace Wharf.Server.Retention;

/// <summary>
/// How far one kind of group has consumed a topic: the port through which <see cref="ConsumedOffsetTracker"/> learns
/// the positions of the groups a topic lists in <c>retention.consumed.groups</c>. One implementation per group type:
/// classic consumer groups (<see cref="ClassicGroupProgressSource"/>, committed offsets) and, once they exist, KIP-932
/// share groups (each share-partition's start offset). Sources are registered in
/// <see cref="ConsumedRetentionSetup.GroupProgressSources"/>; the tracker asks them in that order and takes the first
/// answer, so a source must answer only for groups of its own type.
/// <para>
/// Contract: the answer maps a partition index of <c>topic</c> to the offset below which the group has consumed
/// everything of that partition and will never need it again (a classic group's committed offset; a share group's
/// start offset, below which every record is acknowledged or archived). Null means "not mine, or not known now" —
/// a group of another type, one that does not exist, an unreachable or loading coordinator — and lets the next
/// source answer. A partition missing from a non-null answer has no such offset (nothing consumed yet). With no answer
/// from any source, or a partition missing, the tracker deletes nothing of that partition for this group's sake: every
/// doubt must end as "keep".
/// </para>
/// Thread-safety: called from the tracker's refresh on the thread pool, concurrently for different groups; it may go
/// to the network but must honour the cancellation token, and should answer null rather than throw for an unreachable
/// peer (an exception also counts as no answer, but is logged as a warning).
/// </summary>
public interface IGroupProgressSource
{
    /// <summary>The group's consumed offset per partition of <paramref name="topic"/>, or null (see the interface).</summary>
    ValueTask<IReadOnlyDictionary<int, long>?> ConsumedOffsetsAsync(string group, string topic, CancellationToken cancellationToken);
}
