using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Runtime;
using Wharf.Coordinator.Share;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Group;

/// <summary>
/// Share groups (KIP-932) on this coordinator partition: ShareGroupHeartbeat membership, the server-side assignment,
/// session expiry, ShareGroupDescribe. A group's existence and epoch are persisted (key v11 of
/// <see cref="OffsetsTopicRecords"/>); its members live in memory — after a coordinator failover they get
/// UNKNOWN_MEMBER_ID and rejoin at epoch 0, which the share consumer does by itself. A group id names either a classic
/// or a share group, never both (GROUP_ID_NOT_FOUND for the other kind, as Kafka answers).
/// </summary>
internal sealed partial class GroupCoordinatorShard
{
    private readonly Dictionary<string, ShareGroup> _shareGroups = new(StringComparer.Ordinal);

    /// <summary>ShareGroupHeartbeat v1: join (epoch 0), stay and learn the assignment (epoch n), leave (epoch -1).</summary>
    public CoordinatorResult<ShareGroupHeartbeatResponse> ShareGroupHeartbeat(ShareGroupHeartbeatRequest request, string clientId, string clientHost)
    {
        var settings = SettingsOf(request.GroupId);
        if (string.IsNullOrEmpty(request.MemberId) || request.MemberId.Length > 1024)
        {
            return new(HeartbeatError(ErrorCode.InvalidRequest, "MemberId must be a non-empty id chosen by the client."));
        }

        // Before the group is looked up: a refused join must not leave a new, never persisted group behind.
        if (request.MemberEpoch == 0 && (request.SubscribedTopicNames is null || request.SubscribedTopicNames.Count == 0))
        {
            return new(HeartbeatError(ErrorCode.InvalidRequest, "A joining member must name the topics it subscribes to."));
        }

        if (_groups.TryGetValue(request.GroupId, out var classic) && classic.State != GroupState.Dead)
        {
            return new(HeartbeatError(ErrorCode.GroupIdNotFound, $"Group {request.GroupId} is not a share group."));
        }

        var created = false;
        if (!_shareGroups.TryGetValue(request.GroupId, out var group))
        {
            if (request.MemberEpoch != 0)
            {
                return new(HeartbeatError(request.MemberEpoch == -1 ? ErrorCode.None : ErrorCode.UnknownMemberId, null, request.MemberId, request.MemberEpoch));
            }

            group = new ShareGroup(request.GroupId);
            _shareGroups[request.GroupId] = group;
            created = true;
        }

        group.Members.TryGetValue(request.MemberId, out var member);
        var epochBefore = group.GroupEpoch;
        switch (request.MemberEpoch)
        {
            case -1:
                if (member is not null)
                {
                    RemoveShareMember(group, member);
                }

                return Persisted(group, epochBefore, created, new ShareGroupHeartbeatResponse { MemberId = request.MemberId, MemberEpoch = -1, HeartbeatIntervalMs = settings.HeartbeatIntervalMs });
            case 0:
                if (member is null)
                {
                    if (group.Members.Count >= _options.MaxShareGroupSize)
                    {
                        return new(HeartbeatError(ErrorCode.GroupMaxSizeReached, $"Share group {group.GroupId} has {group.Members.Count} members, the most group.share.max.size allows."));
                    }

                    member = new ShareMember(request.MemberId);
                    group.Members[member.MemberId] = member;
                    group.GroupEpoch++;
                }

                member.SentAssignment = null;
                break;
            default:
                if (member is null)
                {
                    return new(HeartbeatError(ErrorCode.UnknownMemberId, $"{request.MemberId} is not a member of share group {group.GroupId}."));
                }

                if (request.MemberEpoch != member.MemberEpoch)
                {
                    return new(HeartbeatError(ErrorCode.FencedMemberEpoch, $"Member epoch {request.MemberEpoch} is not the current {member.MemberEpoch}."));
                }

                break;
        }

        member.ClientId = clientId;
        member.ClientHost = clientHost;
        member.RackId = request.RackId;
        if (request.SubscribedTopicNames is { } subscribed && !member.SubscribedTopics.SetEquals(subscribed))
        {
            member.SubscribedTopics = new HashSet<string>(subscribed, StringComparer.Ordinal);
            group.GroupEpoch++;
        }

        var topics = SubscribedTopics(group);
        if (!SameTopics(topics, group.AssignedTopics))
        {
            group.GroupEpoch = Math.Max(group.GroupEpoch, group.AssignmentEpoch + 1);
        }

        if (group.AssignmentEpoch != group.GroupEpoch)
        {
            group.Assign(topics);
        }

        member.MemberEpoch = group.GroupEpoch;
        ArmShareSession(group, member, settings);
        var response = new ShareGroupHeartbeatResponse { MemberId = member.MemberId, MemberEpoch = member.MemberEpoch, HeartbeatIntervalMs = settings.HeartbeatIntervalMs };
        if (member.SentAssignment is null || !SameAssignment(member.SentAssignment, member.Assignment))
        {
            response.Assignment = new()
            {
                TopicPartitions = [.. member.Assignment.Select(a => new ShareGroupHeartbeatResponse.AssignedTopic { TopicId = a.Key, Partitions = [.. a.Value] })],
            };
            member.SentAssignment = member.Assignment;
        }

        return Persisted(group, epochBefore, created, response);
    }

    /// <summary>ShareGroupDescribe for one group: GROUP_ID_NOT_FOUND when no share group has that id here.</summary>
    public ShareGroupDescribeResponse.DescribedGroup DescribeShareGroup(string groupId, Func<Guid, string?> topicName)
    {
        if (!_shareGroups.TryGetValue(groupId, out var group))
        {
            return new() { GroupId = groupId, ErrorCode = (short)ErrorCode.GroupIdNotFound, ErrorMessage = $"Share group {groupId} not found.", GroupState = "Dead", AssignorName = "" };
        }

        var described = new ShareGroupDescribeResponse.DescribedGroup
        {
            GroupId = groupId,
            GroupState = group.State,
            GroupEpoch = group.GroupEpoch,
            AssignmentEpoch = group.AssignmentEpoch,
            AssignorName = "simple",
        };
        foreach (var member in group.Members.Values.OrderBy(m => m.MemberId, StringComparer.Ordinal))
        {
            described.Members.Add(new()
            {
                MemberId = member.MemberId,
                RackId = member.RackId,
                MemberEpoch = member.MemberEpoch,
                ClientId = member.ClientId,
                ClientHost = member.ClientHost,
                SubscribedTopicNames = [.. member.SubscribedTopics.Order(StringComparer.Ordinal)],
                Assignment = new()
                {
                    TopicPartitions = [.. member.Assignment.Select(a => new ShareGroupDescribeResponse.AssignedTopic { TopicId = a.Key, TopicName = topicName(a.Key) ?? "", Partitions = [.. a.Value] })],
                },
            });
        }

        return described;
    }

    /// <summary>Whether <paramref name="groupId"/> is a share group here, and how many members it has.</summary>
    public (bool Exists, int Members) ShareGroupStatus(string groupId) =>
        _shareGroups.TryGetValue(groupId, out var group) ? (true, group.Members.Count) : (false, 0);

    /// <summary>Share groups for ListGroups, as (id, state).</summary>
    public List<(string GroupId, string State)> ListShareGroups() => [.. _shareGroups.Values.Select(g => (g.GroupId, g.State))];

    /// <summary>DeleteGroups for a share group: only an empty one (NON_EMPTY_GROUP otherwise).</summary>
    public CoordinatorResult<ErrorCode> DeleteShareGroup(string groupId)
    {
        if (!_shareGroups.TryGetValue(groupId, out var group))
        {
            return new(ErrorCode.GroupIdNotFound);
        }

        return group.Members.Count > 0
            ? new(ErrorCode.NonEmptyGroup)
            : new([CoordinatorRecord.Data(OffsetsTopicRecords.ShareGroupMetadataKey(groupId), null)], ErrorCode.None);
    }

    private void ReplayShareGroup(string groupId, byte[]? value)
    {
        if (value is null)
        {
            if (_shareGroups.Remove(groupId, out var removed))
            {
                foreach (var member in removed.Members.Values)
                {
                    member.SessionTimer?.Dispose();
                }
            }

            return;
        }

        var epoch = OffsetsTopicRecords.ReadShareGroupMetadataValue(value);
        if (!_shareGroups.TryGetValue(groupId, out var group))
        {
            group = new ShareGroup(groupId);
            _shareGroups[groupId] = group;
        }

        if (!_loaded)
        {
            group.GroupEpoch = Math.Max(group.GroupEpoch, epoch);
            group.AssignmentEpoch = group.GroupEpoch;
        }
    }

    private void UnloadShareGroups()
    {
        foreach (var member in _shareGroups.Values.SelectMany(g => g.Members.Values))
        {
            member.SessionTimer?.Dispose();
        }

        _shareGroups.Clear();
    }

    /// <summary>The response, after the group's record when it is new or its epoch moved (so a failover never reuses an epoch).</summary>
    private static CoordinatorResult<ShareGroupHeartbeatResponse> Persisted(ShareGroup group, int epochBefore, bool created, ShareGroupHeartbeatResponse response) =>
        created || group.GroupEpoch != epochBefore
            ? new([CoordinatorRecord.Data(OffsetsTopicRecords.ShareGroupMetadataKey(group.GroupId), OffsetsTopicRecords.ShareGroupMetadataValue(group.GroupEpoch))], response)
            {
                ErrorResponse = error => HeartbeatError(error, null),
            }
            : new(response);

    private void ArmShareSession(ShareGroup group, ShareMember member, ShareGroupSettings settings)
    {
        var timeout = TimeSpan.FromMilliseconds(settings.SessionTimeoutMs);
        if (member.SessionTimer is null)
        {
            member.SessionTimer = _context.CreateTimer(() => ExpireShareMember(group, member), timeout, Timeout.InfiniteTimeSpan);
        }
        else
        {
            member.SessionTimer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void ExpireShareMember(ShareGroup group, ShareMember member)
    {
        if (_shareGroups.TryGetValue(group.GroupId, out var current) && ReferenceEquals(current, group) && group.Members.TryGetValue(member.MemberId, out var live) && ReferenceEquals(live, member))
        {
            _logger.LogInformation("Share group {Group}: member {Member} expired (no heartbeat within the session timeout)", group.GroupId, member.MemberId);
            RemoveShareMember(group, member);
            _context.Append([CoordinatorRecord.Data(OffsetsTopicRecords.ShareGroupMetadataKey(group.GroupId), OffsetsTopicRecords.ShareGroupMetadataValue(group.GroupEpoch))]);
        }
    }

    private static void RemoveShareMember(ShareGroup group, ShareMember member)
    {
        member.SessionTimer?.Dispose();
        group.Members.Remove(member.MemberId);
        group.GroupEpoch++;
    }

    private Dictionary<string, (Guid TopicId, int Partitions)> SubscribedTopics(ShareGroup group)
    {
        var topics = new Dictionary<string, (Guid, int)>(StringComparer.Ordinal);
        foreach (var name in group.Members.Values.SelectMany(m => m.SubscribedTopics).Distinct(StringComparer.Ordinal))
        {
            if (_options.TopicLookup?.Invoke(name) is { } topic)
            {
                topics[name] = topic;
            }
        }

        return topics;
    }

    private ShareGroupSettings SettingsOf(string groupId) => _options.ShareGroupSettings?.Invoke(groupId) ?? Share.ShareGroupSettings.Default;

    private static bool SameTopics(Dictionary<string, (Guid TopicId, int Partitions)> a, Dictionary<string, (Guid TopicId, int Partitions)> b) =>
        a.Count == b.Count && a.All(t => b.TryGetValue(t.Key, out var other) && other == t.Value);

    private static bool SameAssignment(Dictionary<Guid, int[]> a, Dictionary<Guid, int[]> b) =>
        a.Count == b.Count && a.All(t => b.TryGetValue(t.Key, out var other) && other.AsSpan().SequenceEqual(t.Value));

    private static ShareGroupHeartbeatResponse HeartbeatError(ErrorCode error, string? message, string? memberId = null, int memberEpoch = 0) =>
        new() { ErrorCode = (short)error, ErrorMessage = message, MemberId = memberId, MemberEpoch = memberEpoch };
}
