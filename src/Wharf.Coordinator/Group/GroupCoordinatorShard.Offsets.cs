using System.Text;
using Wharf.Common;
using Wharf.Coordinator.Runtime;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Group;

/// <summary>Committed offsets (OffsetCommit, OffsetFetch, OffsetDelete, expiry) and the group admin APIs.</summary>
internal sealed partial class GroupCoordinatorShard
{
    /// <summary>OffsetCommit: the offset records, answered once durable; a partition that cannot be committed gets its error at once.</summary>
    public CoordinatorResult<OffsetCommitResponse> CommitOffsets(OffsetCommitRequest request)
    {
        var error = ErrorCode.None;
        var created = false;
        if (error == ErrorCode.None)
        {
            if (!_groups.TryGetValue(request.GroupId, out var existing))
            {
                if (request.GenerationIdOrMemberEpoch < 0)
                {
                    created = true; // a "simple" commit (admin tools, kcat, assign()) creates an empty group
                }
                else
                {
                    error = ErrorCode.IllegalGeneration;
                }
            }
            else
            {
                error = existing.State == GroupState.Dead ? ErrorCode.CoordinatorNotAvailable
                    : existing.IsStaticMemberFenced(request.GroupInstanceId, request.MemberId) ? ErrorCode.FencedInstanceId
                    : request.GenerationIdOrMemberEpoch < 0 && existing.State == GroupState.Empty ? ErrorCode.None
                    : existing.State == GroupState.CompletingRebalance ? ErrorCode.RebalanceInProgress
                    : !existing.Members.ContainsKey(request.MemberId) ? ErrorCode.UnknownMemberId
                    : request.GenerationIdOrMemberEpoch != existing.Generation ? ErrorCode.IllegalGeneration
                    : ErrorCode.None;
            }
        }

        var response = new OffsetCommitResponse();
        var toWrite = new List<(OffsetCommitResponse.OffsetCommitResponsePartition Result, TopicPartition Partition, CommittedOffset Offset)>();
        var now = Now.ToUnixTimeMilliseconds();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var partition in topic.Partitions)
            {
                var result = new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                var partitionError = OffsetCommitError(error, topic.Name, partition.PartitionIndex, partition.CommittedMetadata);
                if (partitionError != ErrorCode.None)
                {
                    result.ErrorCode = (short)partitionError;
                }
                else
                {
                    toWrite.Add((result, new TopicPartition(topic.Name, partition.PartitionIndex), new CommittedOffset(partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata ?? "", partition.CommitTimestamp >= 0 ? partition.CommitTimestamp : now)));
                }
            }
        }

        if (toWrite.Count == 0)
        {
            return new(response);
        }

        if (created)
        {
            _groups[request.GroupId] = new ClassicGroup(request.GroupId, Now);
        }

        var group = _groups[request.GroupId];
        if (group.Members.TryGetValue(request.MemberId, out var member))
        {
            ArmSession(group, member); // a commit from a member counts as a heartbeat
        }

        foreach (var (_, tp, _) in toWrite)
        {
            group.PendingOffsetWrites[tp] = group.PendingOffsetWrites.GetValueOrDefault(tp) + 1;
        }

        // The offsets themselves are applied by replaying the records once durable.
        return new([.. toWrite.Select(w => OffsetRecord(group.GroupId, w.Partition, w.Offset))], response)
        {
            OnCommitted = () => DonePending(group, toWrite.Select(w => w.Partition)),
            OnFailed = _ =>
            {
                DonePending(group, toWrite.Select(w => w.Partition));
                if (created && IsLive(group) && group.Generation == 0 && group.Members.Count == 0 && group.Offsets.Count == 0 && group.PendingOffsetWrites.Count == 0)
                {
                    _groups.Remove(group.GroupId); // the simple commit that created it failed: nothing of it is left
                }
            },
            ErrorResponse = error =>
            {
                foreach (var (result, _, _) in toWrite)
                {
                    result.ErrorCode = (short)error;
                }

                return response;
            },
        };
    }

    /// <summary>
    /// Committed offsets of <paramref name="groupId"/> for the partitions asked (null: all it has). A partition with no
    /// offset gets -1; with <paramref name="requireStable"/>, one with a commit still being written gets
    /// UNSTABLE_OFFSET_COMMIT (the client retries) instead of the older value.
    /// </summary>
    public (ErrorCode Error, List<OffsetFetchResponse.OffsetFetchResponseTopic> Topics) FetchOffsets(string groupId, List<OffsetFetchRequest.OffsetFetchRequestTopic>? topics, bool requireStable)
    {
        var group = _groups.GetValueOrDefault(groupId);
        var results = new List<OffsetFetchResponse.OffsetFetchResponseTopic>();
        if (topics is null)
        {
            if (group is not null)
            {
                foreach (var byTopic in group.Offsets.GroupBy(o => o.Key.Topic).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    var topic = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = byTopic.Key };
                    foreach (var (tp, offset) in byTopic.OrderBy(o => o.Key.Partition))
                    {
                        topic.Partitions.Add(Describe(tp.Partition, offset));
                    }

                    results.Add(topic);
                }
            }

            return (ErrorCode.None, results);
        }

        foreach (var requested in topics)
        {
            var topic = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = requested.Name };
            foreach (var partition in requested.PartitionIndexes)
            {
                var tp = new TopicPartition(requested.Name, partition);
                if (requireStable && (group is not null && group.PendingOffsetWrites.ContainsKey(tp) || HasPendingTransactionalOffset(groupId, tp)))
                {
                    topic.Partitions.Add(new() { PartitionIndex = partition, CommittedOffset = -1, Metadata = "", ErrorCode = (short)ErrorCode.UnstableOffsetCommit });
                }
                else
                {
                    topic.Partitions.Add(Describe(partition, group?.Offsets.GetValueOrDefault(tp)));
                }
            }

            results.Add(topic);
        }

        return (ErrorCode.None, results);

        static OffsetFetchResponse.OffsetFetchResponsePartition Describe(int partition, CommittedOffset? offset) => new()
        {
            PartitionIndex = partition,
            CommittedOffset = offset?.Offset ?? -1,
            CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
            Metadata = offset?.Metadata ?? "",
        };
    }

    /// <summary>OffsetDelete: removes offsets of partitions whose topic no member subscribes to.</summary>
    public CoordinatorResult<OffsetDeleteResponse> DeleteOffsets(OffsetDeleteRequest request)
    {
        var response = new OffsetDeleteResponse();
        if (!_groups.TryGetValue(request.GroupId, out var group) || group.State == GroupState.Dead)
        {
            response.ErrorCode = (short)ErrorCode.GroupIdNotFound;
            return new(response);
        }

        HashSet<string> subscribed = [];
        if (group.Members.Count > 0)
        {
            if (group.ProtocolType != "consumer")
            {
                response.ErrorCode = (short)ErrorCode.NonEmptyGroup;
                return new(response);
            }

            foreach (var member in group.Members.Values)
            {
                var metadata = member.MetadataFor(group.ProtocolName) ?? member.Protocols.FirstOrDefault().Metadata;
                foreach (var topic in (metadata is null ? null : ConsumerProtocol.TryReadTopics(metadata)) ?? [])
                {
                    subscribed.Add(topic);
                }
            }
        }

        var deleted = new List<TopicPartition>();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetDeleteResponse.OffsetDeleteResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var partition in topic.Partitions)
            {
                var error = subscribed.Contains(topic.Name) ? ErrorCode.GroupSubscribedToTopic : ErrorCode.None;
                topicResult.Partitions.Add(new() { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
                if (error == ErrorCode.None && group.Offsets.ContainsKey(new TopicPartition(topic.Name, partition.PartitionIndex)))
                {
                    deleted.Add(new TopicPartition(topic.Name, partition.PartitionIndex));
                }
            }
        }

        if (deleted.Count == 0)
        {
            return new(response);
        }

        return new([.. deleted.Select(tp => OffsetRecord(group.GroupId, tp, null))], response)
        {
            ErrorResponse = error =>
            {
                response.ErrorCode = (short)error;
                return response;
            },
        };
    }

    public DescribeGroupsResponse.DescribedGroup DescribeGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return new() { GroupId = groupId, GroupState = nameof(GroupState.Dead), ProtocolType = "", ProtocolData = "" };
        }

        var stable = group.State == GroupState.Stable;
        var described = new DescribeGroupsResponse.DescribedGroup
        {
            GroupId = groupId,
            GroupState = group.State.ToString(),
            ProtocolType = group.ProtocolType ?? "",
            ProtocolData = stable ? group.ProtocolName ?? "" : "",
        };
        foreach (var member in group.Members.Values)
        {
            described.Members.Add(new()
            {
                MemberId = member.MemberId,
                GroupInstanceId = member.GroupInstanceId,
                ClientId = member.ClientId,
                ClientHost = member.ClientHost,
                MemberMetadata = stable ? member.MetadataFor(group.ProtocolName) ?? [] : [],
                MemberAssignment = stable ? member.Assignment : [],
            });
        }

        return described;
    }

    public List<(string GroupId, string ProtocolType, GroupState State)> ListGroups()
    {
        return [.. _groups.Values.Where(g => g.State != GroupState.Dead).Select(g => (g.GroupId, g.ProtocolType ?? "", g.State))];
    }

    /// <summary>DeleteGroups for one group: only an empty group goes (NON_EMPTY_GROUP otherwise); its offsets go with it.</summary>
    public CoordinatorResult<ErrorCode> DeleteGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group) || group.State == GroupState.Dead)
        {
            return new(ErrorCode.GroupIdNotFound);
        }

        if (group.State != GroupState.Empty)
        {
            return new(ErrorCode.NonEmptyGroup);
        }

        return RemoveGroup(group);
    }

    /// <summary>
    /// Removes an empty group: it is Dead at once (requests meanwhile get COORDINATOR_NOT_AVAILABLE and retry), tombstones
    /// for its offsets and itself are written, and their replay removes it once durable. If the write fails the group is
    /// Empty again, with everything it had.
    /// </summary>
    private CoordinatorResult<ErrorCode> RemoveGroup(ClassicGroup group)
    {
        var emptySince = group.StateTimestamp;
        Discard(group, ErrorCode.CoordinatorNotAvailable);
        var records = group.Offsets.Keys.Select(tp => OffsetRecord(group.GroupId, tp, null)).ToList();
        records.Add(GroupRecord(group.GroupId, null));
        return new(records, ErrorCode.None)
        {
            OnFailed = _ =>
            {
                if (IsLive(group) && group.State == GroupState.Dead)
                {
                    group.TransitionTo(GroupState.Empty, emptySince);
                }
            },
        };
    }

    /// <summary>
    /// offsets.retention.minutes: an empty consumer group's offsets expire that long after it became empty; a group
    /// that never had members (simple commits) expires each offset that long after its commit. A group left with
    /// neither members nor offsets is removed.
    /// </summary>
    private void ExpireOffsets()
    {
        var now = Now;
        foreach (var group in _groups.Values.Where(g => g.State == GroupState.Empty && g.PendingOffsetWrites.Count == 0).ToList())
        {
            var expired = group.Offsets
                .Where(o => (group.ProtocolType is null ? DateTimeOffset.FromUnixTimeMilliseconds(o.Value.CommitTimestamp) : group.StateTimestamp) + _options.OffsetsRetention <= now)
                .Select(o => o.Key)
                .ToList();
            if (expired.Count == group.Offsets.Count && group.PendingMembers.Count == 0)
            {
                _ = _context.Append(RemoveGroup(group));
            }
            else if (expired.Count > 0)
            {
                _ = _context.Append([.. expired.Select(tp => OffsetRecord(group.GroupId, tp, null))]);
            }
        }
    }

    private static void DonePending(ClassicGroup group, IEnumerable<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
        {
            var left = group.PendingOffsetWrites.GetValueOrDefault(tp) - 1;
            if (left <= 0)
            {
                group.PendingOffsetWrites.Remove(tp);
            }
            else
            {
                group.PendingOffsetWrites[tp] = left;
            }
        }
    }

    /// <summary>Why one partition's offset cannot be committed — the group-level error first — or None.</summary>
    private ErrorCode OffsetCommitError(ErrorCode groupError, string topic, int partition, string? metadata) =>
        groupError != ErrorCode.None ? groupError
        : _options.PartitionExists is { } exists && !exists(topic, partition) ? ErrorCode.UnknownTopicOrPartition
        : metadata is not null && Encoding.UTF8.GetByteCount(metadata) > _options.OffsetMetadataMaxBytes ? ErrorCode.OffsetMetadataTooLarge
        : ErrorCode.None;
}
