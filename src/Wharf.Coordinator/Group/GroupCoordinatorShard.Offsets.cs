using System.Text;
using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Group;

/// <summary>Committed offsets (OffsetCommit, OffsetFetch, OffsetDelete, expiry) and the group admin APIs.</summary>
internal sealed partial class GroupCoordinatorShard
{
    public Task<OffsetCommitResponse> CommitOffsetsAsync(OffsetCommitRequest request)
    {
        lock (_lock)
        {
            var error = StatusLocked();
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
                return Task.FromResult(response);
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

            var applied = Append(
                [.. toWrite.Select(w => (OffsetsTopicRecords.OffsetCommitKey(group.GroupId, w.Partition.Topic, w.Partition.Partition), (byte[]?)OffsetsTopicRecords.OffsetCommitValue(w.Offset)))],
                () =>
                {
                    foreach (var (_, tp, offset) in toWrite)
                    {
                        group.Offsets[tp] = offset;
                    }

                    DonePending(group, toWrite.Select(w => w.Partition));
                },
                _ => DonePending(group, toWrite.Select(w => w.Partition)));
            return applied.ContinueWith(
                t =>
                {
                    foreach (var (result, _, _) in toWrite)
                    {
                        result.ErrorCode = (short)t.Result;
                    }

                    return response;
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Committed offsets of <paramref name="groupId"/> for the partitions asked (null: all it has). A partition with no
    /// offset gets -1; with <paramref name="requireStable"/>, one with a commit still being written gets
    /// UNSTABLE_OFFSET_COMMIT (the client retries) instead of the older value.
    /// </summary>
    public (ErrorCode Error, List<OffsetFetchResponse.OffsetFetchResponseTopic> Topics) FetchOffsets(string groupId, List<OffsetFetchRequest.OffsetFetchRequestTopic>? topics, bool requireStable)
    {
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return (status, []);
            }

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
        }

        static OffsetFetchResponse.OffsetFetchResponsePartition Describe(int partition, CommittedOffset? offset) => new()
        {
            PartitionIndex = partition,
            CommittedOffset = offset?.Offset ?? -1,
            CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
            Metadata = offset?.Metadata ?? "",
        };
    }

    /// <summary>OffsetDelete: removes offsets of partitions whose topic no member subscribes to.</summary>
    public Task<OffsetDeleteResponse> DeleteOffsetsAsync(OffsetDeleteRequest request)
    {
        lock (_lock)
        {
            var response = new OffsetDeleteResponse();
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                response.ErrorCode = (short)status;
                return Task.FromResult(response);
            }

            if (!_groups.TryGetValue(request.GroupId, out var group) || group.State == GroupState.Dead)
            {
                response.ErrorCode = (short)ErrorCode.GroupIdNotFound;
                return Task.FromResult(response);
            }

            HashSet<string> subscribed = [];
            if (group.Members.Count > 0)
            {
                if (group.ProtocolType != "consumer")
                {
                    response.ErrorCode = (short)ErrorCode.NonEmptyGroup;
                    return Task.FromResult(response);
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
                return Task.FromResult(response);
            }

            return Append(
                [.. deleted.Select(tp => (OffsetsTopicRecords.OffsetCommitKey(group.GroupId, tp.Topic, tp.Partition), (byte[]?)null))],
                () => deleted.ForEach(tp => group.Offsets.Remove(tp)))
                .ContinueWith(
                    t =>
                    {
                        response.ErrorCode = (short)t.Result;
                        return response;
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
        }
    }

    public DescribeGroupsResponse.DescribedGroup DescribeGroup(string groupId)
    {
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return new() { GroupId = groupId, ErrorCode = (short)status, GroupState = "", ProtocolType = "", ProtocolData = "" };
            }

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
    }

    public List<(string GroupId, string ProtocolType, GroupState State)> ListGroups()
    {
        lock (_lock)
        {
            return _state != ShardState.Active ? [] : [.. _groups.Values.Where(g => g.State != GroupState.Dead).Select(g => (g.GroupId, g.ProtocolType ?? "", g.State))];
        }
    }

    /// <summary>DeleteGroups for one group: only an empty group goes (NON_EMPTY_GROUP otherwise); its offsets go with it.</summary>
    public Task<ErrorCode> DeleteGroupAsync(string groupId)
    {
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return Task.FromResult(status);
            }

            if (!_groups.TryGetValue(groupId, out var group) || group.State == GroupState.Dead)
            {
                return Task.FromResult(ErrorCode.GroupIdNotFound);
            }

            if (group.State != GroupState.Empty)
            {
                return Task.FromResult(ErrorCode.NonEmptyGroup);
            }

            return RemoveGroup(group);
        }
    }

    /// <summary>Removes an empty group at once (later requests see a new group) and writes tombstones for all it had.</summary>
    private Task<ErrorCode> RemoveGroup(ClassicGroup group)
    {
        _groups.Remove(group.GroupId);
        Discard(group, ErrorCode.CoordinatorNotAvailable);
        var records = group.Offsets.Keys.Select(tp => (OffsetsTopicRecords.OffsetCommitKey(group.GroupId, tp.Topic, tp.Partition), (byte[]?)null)).ToList();
        records.Add((OffsetsTopicRecords.GroupMetadataKey(group.GroupId), null));
        return Append(records, () => group.Offsets.Clear());
    }

    /// <summary>
    /// offsets.retention.minutes: an empty consumer group's offsets expire that long after it became empty; a group
    /// that never had members (simple commits) expires each offset that long after its commit. A group left with
    /// neither members nor offsets is removed.
    /// </summary>
    private void ExpireOffsets()
    {
        lock (_lock)
        {
            if (_state != ShardState.Active)
            {
                return;
            }

            var now = Now;
            foreach (var group in _groups.Values.Where(g => g.State == GroupState.Empty && g.PendingOffsetWrites.Count == 0).ToList())
            {
                var expired = group.Offsets
                    .Where(o => (group.ProtocolType is null ? DateTimeOffset.FromUnixTimeMilliseconds(o.Value.CommitTimestamp) : group.StateTimestamp) + _options.OffsetsRetention <= now)
                    .Select(o => o.Key)
                    .ToList();
                if (expired.Count == group.Offsets.Count && group.PendingMembers.Count == 0)
                {
                    _ = RemoveGroup(group);
                }
                else if (expired.Count > 0)
                {
                    _ = Append(
                        [.. expired.Select(tp => (OffsetsTopicRecords.OffsetCommitKey(group.GroupId, tp.Topic, tp.Partition), (byte[]?)null))],
                        () => expired.ForEach(tp => group.Offsets.Remove(tp)));
                }
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
