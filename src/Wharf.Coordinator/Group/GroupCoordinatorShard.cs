using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Group;

/// <summary>
/// The groups of one partition of <c>__consumer_offsets</c> during one leadership: a replicated state machine whose
/// log is that partition, run by <see cref="CoordinatorRuntime{TShard}"/>. Membership (join, sync, heartbeats,
/// timeouts) lives in memory; what must survive a failover — each generation's members and assignments, and committed
/// offsets — is appended as records (<see cref="OffsetsTopicRecords"/>) and changes state only once durable, in log
/// order, so what clients read is what a replay rebuilds.
/// <para>
/// <see cref="Replay"/> is the one switch records go through, when loading and after each durable write: offset
/// commits and tombstones, transactional offsets and their producers' markers, group tombstones. A group's generation
/// record is applied only while loading: live, the in-memory group is ahead of it (it is written with
/// <c>replay: false</c>, as Kafka's classic groups do).
/// </para>
/// <para>
/// Lifecycle: built empty per leadership; replayed; <see cref="OnLoaded"/> arms sessions and offset expiry;
/// <see cref="OnUnloaded"/> fails parked requests with NOT_COORDINATOR, after which the shard is dropped.
/// </para>
/// Thread-safety: not thread-safe by itself — every member runs on the partition's event loop
/// (<see cref="CoordinatorContext"/>): requests, timer callbacks and completed writes never overlap. Parked requests
/// are completed with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/> so no continuation runs on the loop.
/// </summary>
internal sealed partial class GroupCoordinatorShard : ICoordinatorShard
{
    private readonly CoordinatorContext _context;
    private readonly GroupCoordinatorOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    private bool _loaded;

    public GroupCoordinatorShard(CoordinatorContext context, GroupCoordinatorOptions options, ILogger logger)
    {
        _context = context;
        _options = options;
        _logger = logger;
    }

    public int Partition => _context.Partition;

    /// <summary>How many groups the shard holds.</summary>
    public int GroupCount => _groups.Count;

    private DateTimeOffset Now => _context.Time.GetUtcNow();

    // ---- Replay ---------------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public void Replay(in CoordinatorRecord record)
    {
        if (record.Marker is { } marker)
        {
            ReplayEndTransaction(record.ProducerId, marker);
            return;
        }

        switch (OffsetsTopicRecords.ReadKey(record.Key))
        {
            case OffsetsTopicRecords.OffsetKey key when record.IsTransactional:
                ReplayTransactionalOffset(record.ProducerId, key, record.Value);
                break;
            case OffsetsTopicRecords.OffsetKey key:
                ReplayOffsetCommit(key, record.Value);
                break;
            case OffsetsTopicRecords.GroupKey key when !record.IsTransactional:
                ReplayGroupMetadata(key.Group, record.Value);
                break;
            case OffsetsTopicRecords.ShareGroupKey key when !record.IsTransactional:
                ReplayShareGroup(key.Group, record.Value);
                break;
        }
    }

    /// <inheritdoc/>
    public void OnLoaded()
    {
        _loaded = true;
        foreach (var group in _groups.Values.ToList())
        {
            if (group.Generation == 0 && group.Members.Count == 0 && group.Offsets.Count == 0)
            {
                _groups.Remove(group.GroupId); // only tombstones were left of it
                continue;
            }

            foreach (var member in group.Members.Values)
            {
                ArmSession(group, member);
            }
        }

        _context.CreateTimer(ExpireOffsets, _options.OffsetsRetentionCheckInterval, _options.OffsetsRetentionCheckInterval);
        _logger.LogDebug("Loaded {Count} groups from __consumer_offsets-{Partition}", _groups.Count, Partition);
    }

    /// <inheritdoc/>
    public void OnUnloaded()
    {
        foreach (var group in _groups.Values)
        {
            Discard(group, ErrorCode.NotCoordinator);
        }

        _groups.Clear();
        _pendingTxnOffsets.Clear();
        UnloadShareGroups();
    }

    private void ReplayOffsetCommit(OffsetsTopicRecords.OffsetKey key, byte[]? value)
    {
        var partition = new TopicPartition(key.Topic, key.Partition);
        if (value is not null)
        {
            GetOrCreateGroup(key.Group).Offsets[partition] = OffsetsTopicRecords.ReadOffsetCommitValue(value);
        }
        else if (_groups.TryGetValue(key.Group, out var group))
        {
            group.Offsets.Remove(partition);
        }
    }

    /// <summary>
    /// A group's generation record. While loading, the newest one rebuilds the group (its offsets kept); live, a value
    /// is a no-op (the in-memory group is ahead of it). A tombstone ends the group's metadata; a group left without
    /// offsets is removed.
    /// </summary>
    private void ReplayGroupMetadata(string groupId, byte[]? value)
    {
        if (value is null)
        {
            if (_groups.Remove(groupId, out var removed))
            {
                Discard(removed, ErrorCode.CoordinatorNotAvailable);
                if (removed.Offsets.Count > 0)
                {
                    var kept = new ClassicGroup(groupId, Now);
                    foreach (var (partition, offset) in removed.Offsets)
                    {
                        kept.Offsets[partition] = offset;
                    }

                    _groups[groupId] = kept;
                }
            }

            return;
        }

        if (_loaded)
        {
            return;
        }

        var snapshot = OffsetsTopicRecords.ReadGroupMetadataValue(value);
        var group = new ClassicGroup(groupId, Now);
        if (_groups.TryGetValue(groupId, out var previous))
        {
            foreach (var (partition, offset) in previous.Offsets)
            {
                group.Offsets[partition] = offset;
            }
        }

        Restore(group, snapshot);
        _groups[groupId] = group;
    }

    private ClassicGroup GetOrCreateGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            group = new ClassicGroup(groupId, Now);
            _groups[groupId] = group;
        }

        return group;
    }

    private static CoordinatorRecord OffsetRecord(string groupId, TopicPartition partition, CommittedOffset? offset) =>
        CoordinatorRecord.Data(OffsetsTopicRecords.OffsetCommitKey(groupId, partition.Topic, partition.Partition), offset is null ? null : OffsetsTopicRecords.OffsetCommitValue(offset));

    private static CoordinatorRecord GroupRecord(string groupId, GroupSnapshot? snapshot) =>
        CoordinatorRecord.Data(OffsetsTopicRecords.GroupMetadataKey(groupId), snapshot is null ? null : OffsetsTopicRecords.GroupMetadataValue(snapshot));

    /// <summary>Ends a group's life in memory: timers stopped, parked requests failed with <paramref name="error"/>.</summary>
    private void Discard(ClassicGroup group, ErrorCode error)
    {
        group.JoinTimer?.Dispose();
        group.SyncTimer?.Dispose();
        foreach (var timer in group.PendingMembers.Values)
        {
            timer.Dispose();
        }

        group.PendingMembers.Clear();
        foreach (var member in group.Members.Values)
        {
            member.SessionTimer?.Dispose();
            member.AwaitingJoin?.TrySetResult(JoinError(member.MemberId, error));
            member.AwaitingSync?.TrySetResult(SyncError(error));
            member.AwaitingJoin = null;
            member.AwaitingSync = null;
        }

        group.TransitionTo(GroupState.Dead, Now);
    }

    private void Restore(ClassicGroup group, GroupSnapshot meta)
    {
        group.ProtocolType = string.IsNullOrEmpty(meta.ProtocolType) ? null : meta.ProtocolType;
        group.Generation = meta.Generation;
        group.ProtocolName = meta.ProtocolName;
        group.Leader = meta.Leader;
        var stateTimestamp = meta.CurrentStateTimestamp >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(meta.CurrentStateTimestamp) : Now;
        foreach (var saved in meta.Members)
        {
            var member = new GroupMember
            {
                MemberId = saved.MemberId,
                GroupInstanceId = saved.GroupInstanceId,
                ClientId = saved.ClientId,
                ClientHost = saved.ClientHost,
                RebalanceTimeoutMs = saved.RebalanceTimeoutMs,
                SessionTimeoutMs = saved.SessionTimeoutMs,
                ProtocolType = group.ProtocolType ?? "",
                Protocols = [(meta.ProtocolName ?? "", saved.Subscription)],
                Assignment = saved.Assignment,
            };
            group.Members[member.MemberId] = member;
            if (member.GroupInstanceId is { } instance)
            {
                group.StaticMembers[instance] = member.MemberId;
            }
        }

        if (group.Leader is not null && !group.Members.ContainsKey(group.Leader))
        {
            group.Leader = group.Members.Keys.FirstOrDefault();
        }

        group.TransitionTo(group.Members.Count > 0 ? GroupState.Stable : GroupState.Empty, stateTimestamp);
    }
}
