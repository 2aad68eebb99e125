using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Coordinator.Share;
using Wharf.Metadata;
using Wharf.Replication;

namespace Wharf.Server.Share;

/// <summary>
/// The operator's side of share groups, behind DescribeShareGroupOffsets, AlterShareGroupOffsets,
/// DeleteShareGroupOffsets and DeleteGroups: reads and rewrites share-partition state through the persister, so it works
/// wherever the state's coordinator is. Changing state requires the group to be empty (NON_EMPTY_GROUP otherwise), as in
/// Kafka; a rewrite bumps the state epoch, which fences any share-partition leader still holding the old state.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class ShareGroupAdmin(GroupCoordinator groups, IShareStatePersister persister, SharePartitionManager shares, ReplicaManager replicas, Func<MetadataImage> image)
{
    /// <summary>A share-partition's start offset, its leader epoch as stored, and its lag (-1 when this broker cannot tell).</summary>
    public readonly record struct PartitionOffsets(int Partition, ErrorCode Error, long StartOffset, int LeaderEpoch, long Lag);

    /// <summary>
    /// The group's state per topic partition (all topics it has state for when <paramref name="topics"/> is null), or the
    /// group-level error: NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS off its coordinator, GROUP_ID_NOT_FOUND for a
    /// group that is not a share group.
    /// </summary>
    public async Task<(ErrorCode Error, List<(TopicImage Topic, List<PartitionOffsets> Partitions)> Topics)> DescribeOffsetsAsync(string groupId, IReadOnlyList<(string Topic, IReadOnlyList<int> Partitions)>? topics, CancellationToken cancellationToken)
    {
        var (error, exists, _) = groups.ShareGroupStatus(groupId);
        if (error != ErrorCode.None || !exists)
        {
            return (error != ErrorCode.None ? error : ErrorCode.GroupIdNotFound, []);
        }

        var current = image();
        var wanted = topics?.Select(t => (t.Topic, (IReadOnlyList<int>?)t.Partitions))
            ?? current.TopicsByName.Keys.Where(name => !name.StartsWith("__", StringComparison.Ordinal)).Select(name => (name, (IReadOnlyList<int>?)null));
        var result = new List<(TopicImage, List<PartitionOffsets>)>();
        foreach (var (name, partitions) in wanted)
        {
            if (!current.TryGetTopic(name, out var topic))
            {
                if (topics is not null)
                {
                    result.Add((new TopicImage(name, Guid.Empty, System.Collections.Immutable.ImmutableSortedDictionary<int, PartitionImage>.Empty), [.. partitions!.Select(p => new PartitionOffsets(p, ErrorCode.UnknownTopicOrPartition, -1, -1, -1))]));
                }

                continue;
            }

            var answers = new List<PartitionOffsets>();
            foreach (var partition in partitions ?? [.. topic.Partitions.Keys])
            {
                var (readError, state) = await persister.ReadAsync(new ShareKey(groupId, topic.TopicId, partition), cancellationToken).ConfigureAwait(false);
                if (readError != ErrorCode.None)
                {
                    answers.Add(new PartitionOffsets(partition, readError, -1, -1, -1));
                }
                else if (state is not null)
                {
                    answers.Add(new PartitionOffsets(partition, ErrorCode.None, state.StartOffset, state.LeaderEpoch, Lag(new TopicPartition(name, partition), state)));
                }
                else if (topics is not null)
                {
                    answers.Add(new PartitionOffsets(partition, ErrorCode.None, -1, -1, -1));
                }
            }

            if (answers.Count > 0)
            {
                result.Add((topic, answers));
            }
        }

        return (ErrorCode.None, result);
    }

    /// <summary>Sets start offsets of an empty share group (a new state epoch, nothing in flight); per partition errors.</summary>
    public async Task<(ErrorCode Error, List<(string Topic, Guid TopicId, List<(int Partition, ErrorCode Error)> Partitions)> Topics)> AlterOffsetsAsync(string groupId, IReadOnlyList<(string Topic, IReadOnlyList<(int Partition, long StartOffset)> Partitions)> topics, CancellationToken cancellationToken)
    {
        var (error, _, members) = groups.ShareGroupStatus(groupId);
        if (error != ErrorCode.None || members > 0)
        {
            return (error != ErrorCode.None ? error : ErrorCode.NonEmptyGroup, []);
        }

        var current = image();
        var result = new List<(string, Guid, List<(int, ErrorCode)>)>();
        foreach (var (name, partitions) in topics)
        {
            var answers = new List<(int, ErrorCode)>();
            current.TryGetTopic(name, out var topic);
            foreach (var (partition, startOffset) in partitions)
            {
                if (topic is null || !topic.Partitions.ContainsKey(partition))
                {
                    answers.Add((partition, ErrorCode.UnknownTopicOrPartition));
                    continue;
                }

                var key = new ShareKey(groupId, topic.TopicId, partition);
                var (readError, state) = await persister.ReadAsync(key, cancellationToken).ConfigureAwait(false);
                answers.Add((partition, readError != ErrorCode.None
                    ? readError
                    : await persister.WriteAsync(key, new ShareSnapshot((state?.StateEpoch ?? 0) + 1, state?.LeaderEpoch ?? -1, startOffset, []), cancellationToken).ConfigureAwait(false)));
            }

            result.Add((name, topic?.TopicId ?? Guid.Empty, answers));
        }

        shares.Forget(groupId);
        return (ErrorCode.None, result);
    }

    /// <summary>Forgets an empty share group's state for whole topics; per topic errors.</summary>
    public async Task<(ErrorCode Error, List<(string Topic, Guid TopicId, ErrorCode Error)> Topics)> DeleteOffsetsAsync(string groupId, IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        var (error, exists, members) = groups.ShareGroupStatus(groupId);
        if (error != ErrorCode.None || !exists || members > 0)
        {
            return (error != ErrorCode.None ? error : !exists ? ErrorCode.GroupIdNotFound : ErrorCode.NonEmptyGroup, []);
        }

        var result = new List<(string, Guid, ErrorCode)>();
        foreach (var name in topics)
        {
            result.Add(image().TryGetTopic(name, out var topic)
                ? (name, topic.TopicId, await DeleteTopicStateAsync(groupId, topic, cancellationToken).ConfigureAwait(false))
                : (name, Guid.Empty, ErrorCode.UnknownTopicOrPartition));
        }

        shares.Forget(groupId);
        return (ErrorCode.None, result);
    }

    /// <summary>DeleteGroups of a share group: an empty one goes with all its state.</summary>
    public async Task<ErrorCode> DeleteGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        var (error, exists, members) = groups.ShareGroupStatus(groupId);
        if (error != ErrorCode.None || !exists || members > 0)
        {
            return error != ErrorCode.None ? error : !exists ? ErrorCode.GroupIdNotFound : ErrorCode.NonEmptyGroup;
        }

        foreach (var topic in image().TopicsByName.Values.Where(t => !t.Name.StartsWith("__", StringComparison.Ordinal)))
        {
            var deleted = await DeleteTopicStateAsync(groupId, topic, cancellationToken).ConfigureAwait(false);
            if (deleted != ErrorCode.None)
            {
                return deleted;
            }
        }

        shares.Forget(groupId);
        return await groups.DeleteShareGroupAsync(groupId).ConfigureAwait(false);
    }

    private async Task<ErrorCode> DeleteTopicStateAsync(string groupId, TopicImage topic, CancellationToken cancellationToken)
    {
        foreach (var partition in topic.Partitions.Keys)
        {
            var deleted = await persister.DeleteAsync(new ShareKey(groupId, topic.TopicId, partition), cancellationToken).ConfigureAwait(false);
            if (deleted != ErrorCode.None)
            {
                return deleted;
            }
        }

        return ErrorCode.None;
    }

    /// <summary>Records at or above the start offset not yet done, up to the high watermark; -1 when this broker does not lead the partition.</summary>
    private long Lag(TopicPartition partition, ShareSnapshot state) =>
        replicas.GetPartition(partition) is { IsLeader: true } leader ? state.LagTo(leader.HighWatermark) : -1;
}
