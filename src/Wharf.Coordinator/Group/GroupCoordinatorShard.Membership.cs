using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Group;

/// <summary>
/// The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), following Kafka's GroupCoordinator:
/// which error each request gets in each state is Kafka's, so clients' recovery paths work unchanged.
/// </summary>
internal sealed partial class GroupCoordinatorShard
{
    public Task<JoinGroupResponse> JoinGroupAsync(JoinGroupRequest request, short version, string clientId, string clientHost)
    {
        var session = TimeSpan.FromMilliseconds(request.SessionTimeoutMs);
        if (session < _options.MinSessionTimeout || session > _options.MaxSessionTimeout)
        {
            return Task.FromResult(JoinError(request.MemberId, ErrorCode.InvalidSessionTimeout));
        }

        var isNewMember = request.MemberId.Length == 0;
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            if (!isNewMember)
            {
                return Task.FromResult(JoinError(request.MemberId, ErrorCode.UnknownMemberId));
            }

            if (_shareGroups.ContainsKey(request.GroupId))
            {
                return Task.FromResult(JoinError(request.MemberId, ErrorCode.GroupIdNotFound)); // a share group's id, as Kafka answers
            }

            group = new ClassicGroup(request.GroupId, Now);
        }

        if (group.State == GroupState.Dead)
        {
            return Task.FromResult(JoinError(request.MemberId, ErrorCode.CoordinatorNotAvailable));
        }

        if (!group.SupportsProtocols(request.ProtocolType, request.Protocols, isNewMember ? null : request.MemberId))
        {
            return Task.FromResult(JoinError(request.MemberId, ErrorCode.InconsistentGroupProtocol));
        }

        _groups.TryAdd(group.GroupId, group);
        var result = isNewMember
            ? JoinNewMember(group, request, version, clientId, clientHost)
            : JoinExistingMember(group, request, clientId, clientHost);
        if (group.State == GroupState.Empty && group.Members.Count == 0 && group.PendingMembers.Count == 0 && group.Offsets.Count == 0 && group.Generation == 0)
        {
            _groups.Remove(group.GroupId); // a first join that failed leaves nothing behind
        }

        return result;
    }

    public Task<SyncGroupResponse> SyncGroupAsync(SyncGroupRequest request)
    {
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            return Task.FromResult(SyncError(ErrorCode.UnknownMemberId));
        }

        var error = group.State == GroupState.Dead ? ErrorCode.CoordinatorNotAvailable
            : group.IsStaticMemberFenced(request.GroupInstanceId, request.MemberId) ? ErrorCode.FencedInstanceId
            : !group.Members.ContainsKey(request.MemberId) ? ErrorCode.UnknownMemberId
            : request.GenerationId != group.Generation ? ErrorCode.IllegalGeneration
            : (request.ProtocolType is not null && request.ProtocolType != group.ProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName) ? ErrorCode.InconsistentGroupProtocol
            : ErrorCode.None;
        if (error != ErrorCode.None)
        {
            return Task.FromResult(SyncError(error));
        }

        var member = group.Members[request.MemberId];
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                return Task.FromResult(SyncError(ErrorCode.RebalanceInProgress));
            case GroupState.Stable:
                group.PendingSync.Remove(member.MemberId);
                ArmSession(group, member);
                return Task.FromResult(SyncResult(group, member.Assignment));
            case GroupState.CompletingRebalance:
                member.AwaitingSync?.TrySetResult(SyncError(ErrorCode.RebalanceInProgress));
                var waiter = new TaskCompletionSource<SyncGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
                member.AwaitingSync = waiter;
                group.PendingSync.Remove(member.MemberId);
                ArmSession(group, member);
                if (member.MemberId == group.Leader && !group.AssignmentPending)
                {
                    StoreAssignment(group, request.Assignments);
                }

                return waiter.Task;
            default:
                return Task.FromResult(SyncError(ErrorCode.UnknownMemberId));
        }
    }

    public HeartbeatResponse Heartbeat(HeartbeatRequest request)
    {
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            return new HeartbeatResponse { ErrorCode = (short)ErrorCode.UnknownMemberId };
        }

        var error = group.State == GroupState.Dead ? ErrorCode.CoordinatorNotAvailable
            : group.IsStaticMemberFenced(request.GroupInstanceId, request.MemberId) ? ErrorCode.FencedInstanceId
            : !group.Members.TryGetValue(request.MemberId, out var member) ? ErrorCode.UnknownMemberId
            : request.GenerationId != group.Generation ? ErrorCode.IllegalGeneration
            : group.State switch
            {
                GroupState.PreparingRebalance => ErrorCode.RebalanceInProgress,
                GroupState.Empty => ErrorCode.UnknownMemberId,
                _ => ErrorCode.None,
            };
        if (error is ErrorCode.None or ErrorCode.RebalanceInProgress)
        {
            ArmSession(group, group.Members[request.MemberId]);
        }

        return new HeartbeatResponse { ErrorCode = (short)error };
    }

    /// <summary>LeaveGroup for a list of members (v3+; v0–2 is a list of one).</summary>
    public (ErrorCode Error, List<(string MemberId, string? InstanceId, ErrorCode Error)> Members) LeaveGroup(string groupId, IReadOnlyList<(string MemberId, string? InstanceId)> leaving)
    {
        var results = new List<(string, string?, ErrorCode)>();
        if (!_groups.TryGetValue(groupId, out var group))
        {
            results.AddRange(leaving.Select(l => (l.MemberId, l.InstanceId, ErrorCode.UnknownMemberId)));
            return (ErrorCode.None, results);
        }

        if (group.State == GroupState.Dead)
        {
            return (ErrorCode.CoordinatorNotAvailable, []);
        }

        foreach (var (memberId, instanceId) in leaving)
        {
            ErrorCode error;
            if (memberId.Length == 0 && instanceId is not null)
            {
                if (group.StaticMembers.TryGetValue(instanceId, out var staticId) && group.Members.TryGetValue(staticId, out var staticMember))
                {
                    RemoveMember(group, staticMember);
                    error = ErrorCode.None;
                }
                else
                {
                    error = ErrorCode.UnknownMemberId;
                }
            }
            else if (group.IsStaticMemberFenced(instanceId, memberId))
            {
                error = ErrorCode.FencedInstanceId;
            }
            else if (group.PendingMembers.Remove(memberId, out var pendingTimer))
            {
                pendingTimer.Dispose();
                TryCompleteJoin(group);
                error = ErrorCode.None;
            }
            else if (group.Members.TryGetValue(memberId, out var member))
            {
                RemoveMember(group, member);
                error = ErrorCode.None;
            }
            else
            {
                error = ErrorCode.UnknownMemberId;
            }

            results.Add((memberId, instanceId, error));
        }

        return (ErrorCode.None, results);
    }

    // ---- Join ---------------------------------------------------------------------------------------------------

    private Task<JoinGroupResponse> JoinNewMember(ClassicGroup group, JoinGroupRequest request, short version, string clientId, string clientHost)
    {
        if (request.GroupInstanceId is { } instanceId)
        {
            var newId = instanceId + "-" + Guid.NewGuid().ToString();
            return group.StaticMembers.TryGetValue(instanceId, out var oldId) && group.Members.ContainsKey(oldId)
                ? ReplaceStaticMember(group, oldId, newId, request, clientId, clientHost)
                : AddMemberAndRebalance(group, newId, request, clientId, clientHost);
        }

        var memberId = clientId + "-" + Guid.NewGuid().ToString();
        if (version >= 4)
        {
            // KIP-394: hand out the id first; the member only counts once it rejoins with it.
            if (group.Members.Count + group.PendingMembers.Count >= _options.MaxGroupSize || group.PendingMembers.Count >= _options.MaxPendingMembers)
            {
                return Task.FromResult(JoinError("", ErrorCode.GroupMaxSizeReached));
            }

            var timer = _context.CreateTimer(() => ExpirePendingMember(group, memberId), TimeSpan.FromMilliseconds(request.SessionTimeoutMs), Timeout.InfiniteTimeSpan);
            group.PendingMembers[memberId] = timer;
            return Task.FromResult(JoinError(memberId, ErrorCode.MemberIdRequired));
        }

        return AddMemberAndRebalance(group, memberId, request, clientId, clientHost);
    }

    private Task<JoinGroupResponse> JoinExistingMember(ClassicGroup group, JoinGroupRequest request, string clientId, string clientHost)
    {
        var memberId = request.MemberId;
        if (group.PendingMembers.Remove(memberId, out var pendingTimer))
        {
            pendingTimer.Dispose();
            return AddMemberAndRebalance(group, memberId, request, clientId, clientHost);
        }

        if (group.IsStaticMemberFenced(request.GroupInstanceId, memberId))
        {
            return Task.FromResult(JoinError(memberId, ErrorCode.FencedInstanceId));
        }

        if (!group.Members.TryGetValue(memberId, out var member))
        {
            return Task.FromResult(JoinError(memberId, ErrorCode.UnknownMemberId));
        }

        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(group, member, request);
            case GroupState.CompletingRebalance:
                if (member.SameProtocols(request.Protocols))
                {
                    // A retried JoinGroup: answer with the generation already formed.
                    ArmSession(group, member);
                    return Task.FromResult(JoinResult(group, member));
                }

                return UpdateMemberAndRebalance(group, member, request);
            case GroupState.Stable:
                if (member.MemberId == group.Leader || !member.SameProtocols(request.Protocols))
                {
                    return UpdateMemberAndRebalance(group, member, request);
                }

                ArmSession(group, member);
                return Task.FromResult(JoinResult(group, member));
            default:
                return Task.FromResult(JoinError(memberId, ErrorCode.UnknownMemberId));
        }
    }

    private Task<JoinGroupResponse> AddMemberAndRebalance(ClassicGroup group, string memberId, JoinGroupRequest request, string clientId, string clientHost)
    {
        if (group.Members.Count >= _options.MaxGroupSize)
        {
            return Task.FromResult(JoinError(memberId, ErrorCode.GroupMaxSizeReached));
        }

        var member = new GroupMember
        {
            MemberId = memberId,
            GroupInstanceId = request.GroupInstanceId,
            ClientId = clientId,
            ClientHost = clientHost,
            RebalanceTimeoutMs = RebalanceTimeoutOf(request),
            SessionTimeoutMs = request.SessionTimeoutMs,
            ProtocolType = request.ProtocolType,
            Protocols = [.. request.Protocols.Select(p => (p.Name, p.Metadata))],
            IsNew = true,
        };
        if (group.State == GroupState.PreparingRebalance && group.Generation == 0)
        {
            group.NewMemberAdded = true;
        }

        if (group.Members.Count == 0)
        {
            group.ProtocolType = request.ProtocolType;
        }

        group.Members.Add(memberId, member);
        if (member.GroupInstanceId is { } instanceId)
        {
            group.StaticMembers[instanceId] = memberId;
        }

        group.Leader ??= memberId;
        var waiter = new TaskCompletionSource<JoinGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.AwaitingJoin = waiter;
        ArmSession(group, member);
        MaybePrepareRebalance(group);
        return waiter.Task;
    }

    private Task<JoinGroupResponse> UpdateMemberAndRebalance(ClassicGroup group, GroupMember member, JoinGroupRequest request)
    {
        member.Protocols = [.. request.Protocols.Select(p => (p.Name, p.Metadata))];
        member.RebalanceTimeoutMs = RebalanceTimeoutOf(request);
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        member.AwaitingJoin?.TrySetResult(JoinError(member.MemberId, ErrorCode.RebalanceInProgress));
        var waiter = new TaskCompletionSource<JoinGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.AwaitingJoin = waiter;
        ArmSession(group, member);
        MaybePrepareRebalance(group);
        return waiter.Task;
    }

    /// <summary>
    /// KIP-345: a static member rejoining with an unknown member id takes over its old id's place. The old id is fenced
    /// (its parked requests and later ones get FENCED_INSTANCE_ID). In a stable group with unchanged protocols there is
    /// no rebalance: the new id is persisted and the member gets the current generation back.
    /// </summary>
    private Task<JoinGroupResponse> ReplaceStaticMember(ClassicGroup group, string oldId, string newId, JoinGroupRequest request, string clientId, string clientHost)
    {
        var member = group.Members[oldId];
        member.AwaitingJoin?.TrySetResult(JoinError(oldId, ErrorCode.FencedInstanceId));
        member.AwaitingSync?.TrySetResult(SyncError(ErrorCode.FencedInstanceId));
        member.AwaitingJoin = null;
        member.AwaitingSync = null;
        group.Members.Remove(oldId);
        member.MemberId = newId;
        member.ClientId = clientId;
        member.ClientHost = clientHost;
        group.Members[newId] = member;
        group.StaticMembers[request.GroupInstanceId!] = newId;
        if (group.Leader == oldId)
        {
            group.Leader = newId;
        }

        if (group.PendingSync.Remove(oldId))
        {
            group.PendingSync.Add(newId);
        }

        var protocolsChanged = !member.SameProtocols(request.Protocols);
        switch (group.State)
        {
            case GroupState.Stable when !protocolsChanged:
                member.RebalanceTimeoutMs = RebalanceTimeoutOf(request);
                member.SessionTimeoutMs = request.SessionTimeoutMs;
                ArmSession(group, member);
                var response = JoinResult(group, member);
                return StoreGroupThen(group, () => response, error => JoinError(newId, error));
            case GroupState.CompletingRebalance when !protocolsChanged:
                ArmSession(group, member);
                return Task.FromResult(JoinResult(group, member));
            default:
                return UpdateMemberAndRebalance(group, member, request);
        }
    }

    private void MaybePrepareRebalance(ClassicGroup group)
    {
        if (group.State is GroupState.Stable or GroupState.CompletingRebalance or GroupState.Empty)
        {
            PrepareRebalance(group);
        }
        else if (group.State == GroupState.PreparingRebalance)
        {
            TryCompleteJoin(group);
        }
    }

    private void PrepareRebalance(ClassicGroup group)
    {
        if (group.State == GroupState.CompletingRebalance)
        {
            ResetAndPropagateAssignmentError(group, ErrorCode.RebalanceInProgress);
        }

        group.SyncTimer?.Dispose();
        group.SyncTimer = null;
        group.PendingSync.Clear();
        group.JoinTimer?.Dispose();
        TimeSpan delay;
        var rebalanceTimeout = TimeSpan.FromMilliseconds(group.RebalanceTimeoutMs);
        if (group.State == GroupState.Empty && _options.InitialRebalanceDelay > TimeSpan.Zero)
        {
            group.InInitialDelay = true;
            delay = _options.InitialRebalanceDelay < rebalanceTimeout ? _options.InitialRebalanceDelay : rebalanceTimeout;
            group.InitialDelayRemaining = rebalanceTimeout - delay;
            group.NewMemberAdded = false;
        }
        else
        {
            group.InInitialDelay = false;
            delay = rebalanceTimeout;
        }

        group.TransitionTo(GroupState.PreparingRebalance, Now);
        var generation = group.Generation;
        group.JoinTimer = _context.CreateTimer(() => OnJoinTimer(group, generation), delay, Timeout.InfiniteTimeSpan);
        TryCompleteJoin(group);
    }

    private void OnJoinTimer(ClassicGroup group, int generation)
    {
        if (!IsLive(group) || group.State != GroupState.PreparingRebalance || group.Generation != generation)
        {
            return;
        }

        if (group.InInitialDelay && group.NewMemberAdded && group.InitialDelayRemaining > TimeSpan.Zero)
        {
            // More members arrived during the initial delay: wait another delay, up to the rebalance timeout.
            group.NewMemberAdded = false;
            var delay = _options.InitialRebalanceDelay < group.InitialDelayRemaining ? _options.InitialRebalanceDelay : group.InitialDelayRemaining;
            group.InitialDelayRemaining -= delay;
            group.JoinTimer?.Change(delay, Timeout.InfiniteTimeSpan);
            return;
        }

        group.InInitialDelay = false;
        CompleteJoin(group);
    }

    private void TryCompleteJoin(ClassicGroup group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.InInitialDelay && group.HasAllMembersJoined)
        {
            CompleteJoin(group);
        }
    }

    /// <summary>
    /// Ends the join phase: members that did not rejoin are removed; the next generation is formed (protocol chosen,
    /// leader kept or picked), every parked JoinGroup is answered (only the leader gets the members' metadata), and
    /// the sync timer starts. A group left without members becomes Empty and is persisted.
    /// </summary>
    private void CompleteJoin(ClassicGroup group)
    {
        group.JoinTimer?.Dispose();
        group.JoinTimer = null;
        foreach (var absent in group.Members.Values.Where(m => m.AwaitingJoin is null).ToList())
        {
            RemoveMemberQuietly(group, absent);
        }

        group.Generation++;
        if (group.Members.Count == 0)
        {
            group.ProtocolName = null;
            group.Leader = null;
            group.TransitionTo(GroupState.Empty, Now);
            _ = StoreGroupThen(group, () => 0, _ => 0);
            return;
        }

        group.ProtocolName = group.SelectProtocol();
        if (group.Leader is null || !group.Members.ContainsKey(group.Leader))
        {
            group.Leader = group.Members.Keys.First();
        }

        group.TransitionTo(GroupState.CompletingRebalance, Now);
        foreach (var member in group.Members.Values)
        {
            var waiter = member.AwaitingJoin!;
            member.AwaitingJoin = null;
            member.IsNew = false;
            group.PendingSync.Add(member.MemberId);
            ArmSession(group, member);
            waiter.TrySetResult(JoinResult(group, member));
        }

        var generation = group.Generation;
        group.SyncTimer = _context.CreateTimer(() => OnSyncTimer(group, generation), TimeSpan.FromMilliseconds(group.RebalanceTimeoutMs), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Members of the generation that never sent SyncGroup within the rebalance timeout are removed.</summary>
    private void OnSyncTimer(ClassicGroup group, int generation)
    {
        if (!IsLive(group) || group.Generation != generation || group.State is not (GroupState.CompletingRebalance or GroupState.Stable) || group.PendingSync.Count == 0)
        {
            return;
        }

        foreach (var id in group.PendingSync.ToList())
        {
            if (group.Members.TryGetValue(id, out var member))
            {
                RemoveMemberQuietly(group, member);
            }
        }

        group.PendingSync.Clear();
        PrepareRebalance(group);
    }

    // ---- Sync ---------------------------------------------------------------------------------------------------

    private void StoreAssignment(ClassicGroup group, List<SyncGroupRequest.SyncGroupRequestAssignment> assignments)
    {
        var byMember = new Dictionary<string, byte[]>();
        foreach (var assignment in assignments)
        {
            if (group.Members.ContainsKey(assignment.MemberId))
            {
                byMember[assignment.MemberId] = assignment.Assignment;
            }
        }

        var generation = group.Generation;
        var snapshot = group.Snapshot() with
        {
            Members = [.. group.Snapshot().Members.Select(m => m with { Assignment = byMember.GetValueOrDefault(m.MemberId, []) })],
        };
        group.AssignmentPending = true;
        _ = _context.Append(
            [GroupRecord(group.GroupId, snapshot)],
            replay: false,
            onCommitted: () =>
            {
                group.AssignmentPending = false;
                if (!IsLive(group) || group.Generation != generation || group.State != GroupState.CompletingRebalance)
                {
                    return;
                }

                foreach (var member in group.Members.Values)
                {
                    member.Assignment = byMember.GetValueOrDefault(member.MemberId, []);
                }

                group.TransitionTo(GroupState.Stable, Now);
                foreach (var member in group.Members.Values)
                {
                    var waiter = member.AwaitingSync;
                    member.AwaitingSync = null;
                    waiter?.TrySetResult(SyncResult(group, member.Assignment));
                }
            },
            onFailed: error =>
            {
                group.AssignmentPending = false;
                if (IsLive(group) && group.Generation == generation && group.State == GroupState.CompletingRebalance)
                {
                    ResetAndPropagateAssignmentError(group, error == ErrorCode.NotCoordinator ? error : ErrorCode.CoordinatorNotAvailable);
                    PrepareRebalance(group);
                }
            });
    }

    private static void ResetAndPropagateAssignmentError(ClassicGroup group, ErrorCode error)
    {
        foreach (var member in group.Members.Values)
        {
            member.Assignment = [];
            var waiter = member.AwaitingSync;
            member.AwaitingSync = null;
            waiter?.TrySetResult(SyncError(error));
        }
    }

    // ---- Removal and sessions -----------------------------------------------------------------------------------

    /// <summary>A member leaves or is evicted: its parked requests fail, and the group rebalances.</summary>
    private void RemoveMember(ClassicGroup group, GroupMember member)
    {
        RemoveMemberQuietly(group, member);
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                PrepareRebalance(group);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }

    private static void RemoveMemberQuietly(ClassicGroup group, GroupMember member)
    {
        member.SessionTimer?.Dispose();
        member.SessionTimer = null;
        member.AwaitingJoin?.TrySetResult(JoinError(member.MemberId, ErrorCode.UnknownMemberId));
        member.AwaitingSync?.TrySetResult(SyncError(ErrorCode.UnknownMemberId));
        member.AwaitingJoin = null;
        member.AwaitingSync = null;
        group.Members.Remove(member.MemberId);
        group.PendingSync.Remove(member.MemberId);
        if (member.GroupInstanceId is { } instanceId && group.StaticMembers.GetValueOrDefault(instanceId) == member.MemberId)
        {
            group.StaticMembers.Remove(instanceId);
        }

        if (group.Leader == member.MemberId)
        {
            group.Leader = group.Members.Keys.FirstOrDefault();
        }
    }

    /// <summary>(Re)starts the member's session: it is evicted unless it heartbeats (or joins, or syncs) within the session timeout.</summary>
    private void ArmSession(ClassicGroup group, GroupMember member)
    {
        var timeout = TimeSpan.FromMilliseconds(member.SessionTimeoutMs);
        member.SessionDeadline = Now + timeout;
        if (member.SessionTimer is null)
        {
            member.SessionTimer = _context.CreateTimer(() => OnSessionTimer(group, member), timeout, Timeout.InfiniteTimeSpan);
        }
        else
        {
            member.SessionTimer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnSessionTimer(ClassicGroup group, GroupMember member)
    {
        if (!IsLive(group) || group.Members.GetValueOrDefault(member.MemberId) != member)
        {
            return;
        }

        var left = member.SessionDeadline - Now;
        if (left > TimeSpan.Zero)
        {
            member.SessionTimer?.Change(left, Timeout.InfiniteTimeSpan);
            return;
        }

        if (member.AwaitingJoin is not null || member.AwaitingSync is not null)
        {
            // Parked in a rebalance: the join and sync timers bound that wait, not the session.
            ArmSession(group, member);
            return;
        }

        RemoveMember(group, member);
    }

    private void ExpirePendingMember(ClassicGroup group, string memberId)
    {
        if (IsLive(group) && group.PendingMembers.Remove(memberId, out var timer))
        {
            timer.Dispose();
            TryCompleteJoin(group);
            if (group.State == GroupState.Empty && group.Members.Count == 0 && group.PendingMembers.Count == 0 && group.Offsets.Count == 0 && group.Generation == 0)
            {
                _groups.Remove(group.GroupId);
            }
        }
    }

    /// <summary>Whether <paramref name="group"/> is still the shard's group of its id (not deleted or replaced).</summary>
    private bool IsLive(ClassicGroup group) => _groups.GetValueOrDefault(group.GroupId) == group;

    /// <summary>Persists the group's current generation (members and assignments), then answers with <paramref name="onSuccess"/>.</summary>
    private Task<T> StoreGroupThen<T>(ClassicGroup group, Func<T> onSuccess, Func<ErrorCode, T> onFailure)
    {
        var applied = _context.Append([GroupRecord(group.GroupId, group.Snapshot())], replay: false);
        return applied.ContinueWith(t => t.Result == ErrorCode.None ? onSuccess() : onFailure(t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static int RebalanceTimeoutOf(JoinGroupRequest request) => request.RebalanceTimeoutMs > 0 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs;

    private static JoinGroupResponse JoinResult(ClassicGroup group, GroupMember member)
    {
        var response = new JoinGroupResponse
        {
            GenerationId = group.Generation,
            ProtocolType = group.ProtocolType,
            ProtocolName = group.ProtocolName,
            Leader = group.Leader ?? "",
            MemberId = member.MemberId,
        };
        if (member.MemberId == group.Leader)
        {
            foreach (var m in group.Members.Values)
            {
                response.Members.Add(new() { MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId, Metadata = m.MetadataFor(group.ProtocolName) ?? [] });
            }
        }

        return response;
    }

    private static JoinGroupResponse JoinError(string memberId, ErrorCode error) => new()
    {
        ErrorCode = (short)error,
        GenerationId = -1,
        ProtocolName = null,
        Leader = "",
        MemberId = memberId,
    };

    private static SyncGroupResponse SyncResult(ClassicGroup group, byte[] assignment) => new()
    {
        ProtocolType = group.ProtocolType,
        ProtocolName = group.ProtocolName,
        Assignment = assignment,
    };

    private static SyncGroupResponse SyncError(ErrorCode error) => new() { ErrorCode = (short)error, Assignment = [] };
}
