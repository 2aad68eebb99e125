using Wharf.Common;
using Wharf.Coordinator.Runtime;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Group;

/// <summary>The classic group states (Kafka's names, as DescribeGroups and ListGroups report them).</summary>
public enum GroupState
{
    /// <summary>No members; may still hold committed offsets.</summary>
    Empty,

    /// <summary>Collecting JoinGroup requests for the next generation.</summary>
    PreparingRebalance,

    /// <summary>The generation is formed; waiting for the leader's SyncGroup with the assignment.</summary>
    CompletingRebalance,

    /// <summary>Every member has its assignment; heartbeats keep it so.</summary>
    Stable,

    /// <summary>Deleted or unloaded; requests that find it retry elsewhere.</summary>
    Dead,
}

/// <summary>
/// One member of a classic group: its identity, timeouts, the protocols it offered (name → metadata), its current
/// assignment and the requests it is parked on (a JoinGroup during a rebalance, a SyncGroup until the leader's
/// assignment is stored).
/// Thread-safety: owned by its <see cref="GroupCoordinatorShard"/>; touched only under the shard's lock.
/// </summary>
internal sealed class GroupMember
{
    public required string MemberId { get; set; }

    public string? GroupInstanceId { get; init; }

    public required string ClientId { get; set; }

    public required string ClientHost { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    public int SessionTimeoutMs { get; set; }

    public required string ProtocolType { get; set; }

    /// <summary>Protocols in the member's order of preference.</summary>
    public required List<(string Name, byte[] Metadata)> Protocols { get; set; }

    public byte[] Assignment { get; set; } = [];

    /// <summary>Joined for the first time and not yet part of a generation.</summary>
    public bool IsNew { get; set; }

    public TaskCompletionSource<JoinGroupResponse>? AwaitingJoin { get; set; }

    public TaskCompletionSource<SyncGroupResponse>? AwaitingSync { get; set; }

    /// <summary>Fires when the session times out; re-armed by every heartbeat (and by join and sync).</summary>
    public CoordinatorTimer? SessionTimer { get; set; }

    /// <summary>The time by which the next heartbeat must arrive (checked when <see cref="SessionTimer"/> fires).</summary>
    public DateTimeOffset SessionDeadline { get; set; }

    public bool IsStatic => GroupInstanceId is not null;

    public byte[]? MetadataFor(string? protocol)
    {
        foreach (var (name, metadata) in Protocols)
        {
            if (name == protocol)
            {
                return metadata;
            }
        }

        return null;
    }

    public bool SameProtocols(List<JoinGroupRequest.JoinGroupRequestProtocol> protocols)
    {
        if (protocols.Count != Protocols.Count)
        {
            return false;
        }

        for (var i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// A classic consumer group: its state machine (Empty → PreparingRebalance → CompletingRebalance → Stable, and back),
/// generation, chosen protocol, leader, members (dynamic and static), member ids handed out but not yet used
/// (pending), and its committed offsets.
/// <para>Invariants: <see cref="Leader"/> is a member or null; every static member's instance id maps to its member
/// id in <see cref="StaticMembers"/>; committed offsets hold only what is durable in the offsets topic.</para>
/// Thread-safety: owned by its <see cref="GroupCoordinatorShard"/>; touched only under the shard's lock.
/// </summary>
internal sealed class ClassicGroup(string groupId, DateTimeOffset now)
{
    public string GroupId { get; } = groupId;

    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When <see cref="State"/> last changed (persisted; offsets of an empty group expire from it).</summary>
    public DateTimeOffset StateTimestamp { get; private set; } = now;

    public int Generation { get; set; }

    public string? ProtocolType { get; set; }

    public string? ProtocolName { get; set; }

    public string? Leader { get; set; }

    /// <summary>Members in join order (the first becomes leader when there is none).</summary>
    public Dictionary<string, GroupMember> Members { get; } = [];

    /// <summary>group.instance.id → member id.</summary>
    public Dictionary<string, string> StaticMembers { get; } = [];

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED, with the timer that forgets them.</summary>
    public Dictionary<string, CoordinatorTimer> PendingMembers { get; } = [];

    /// <summary>Members of the current generation that have not sent SyncGroup yet.</summary>
    public HashSet<string> PendingSync { get; } = [];

    /// <summary>Completes the join phase: the rebalance timeout, or the initial delay for an empty group.</summary>
    public CoordinatorTimer? JoinTimer { get; set; }

    /// <summary>Evicts members that never sent SyncGroup after the join phase (rebalance timeout).</summary>
    public CoordinatorTimer? SyncTimer { get; set; }

    /// <summary>In the initial rebalance delay of an empty group (waiting for more members to arrive).</summary>
    public bool InInitialDelay { get; set; }

    public TimeSpan InitialDelayRemaining { get; set; }

    public bool NewMemberAdded { get; set; }

    /// <summary>Assignment the leader sent for the current generation, stored in the log but not yet durable.</summary>
    public bool AssignmentPending { get; set; }

    public Dictionary<TopicPartition, CommittedOffset> Offsets { get; } = [];

    /// <summary>Appended but not yet durable offset writes per partition (OffsetFetch with require_stable).</summary>
    public Dictionary<TopicPartition, int> PendingOffsetWrites { get; } = [];

    public bool IsEmptyOfMembers => Members.Count == 0;

    public void TransitionTo(GroupState state, DateTimeOffset now)
    {
        State = state;
        StateTimestamp = now;
    }

    public bool HasAllMembersJoined => PendingMembers.Count == 0 && Members.Values.All(m => m.AwaitingJoin is not null);

    public int RebalanceTimeoutMs => Members.Count == 0 ? 0 : Members.Values.Max(m => m.RebalanceTimeoutMs);

    /// <summary>A request from <paramref name="memberId"/> claiming <paramref name="instanceId"/> is from a displaced instance.</summary>
    public bool IsStaticMemberFenced(string? instanceId, string memberId) =>
        instanceId is not null && StaticMembers.TryGetValue(instanceId, out var current) && current != memberId;

    /// <summary>Protocols every member supports, in no particular order.</summary>
    public HashSet<string> CandidateProtocols()
    {
        HashSet<string>? candidates = null;
        foreach (var member in Members.Values)
        {
            var names = member.Protocols.Select(p => p.Name);
            if (candidates is null)
            {
                candidates = [.. names];
            }
            else
            {
                candidates.IntersectWith(names);
            }
        }

        return candidates ?? [];
    }

    /// <summary>Whether a member offering <paramref name="protocols"/> of <paramref name="protocolType"/> may (re)join.</summary>
    public bool SupportsProtocols(string protocolType, List<JoinGroupRequest.JoinGroupRequestProtocol> protocols, string? excludingMember = null)
    {
        if (protocolType.Length == 0 || protocols.Count == 0)
        {
            return false;
        }

        var others = Members.Values.Where(m => m.MemberId != excludingMember).ToList();
        if (others.Count == 0)
        {
            return true;
        }

        if (ProtocolType is not null && ProtocolType != protocolType)
        {
            return false;
        }

        HashSet<string> common = [.. others[0].Protocols.Select(p => p.Name)];
        foreach (var other in others.Skip(1))
        {
            common.IntersectWith(other.Protocols.Select(p => p.Name));
        }

        return protocols.Any(p => common.Contains(p.Name));
    }

    /// <summary>The protocol most members prefer among those all support (ties: the first member's preference order).</summary>
    public string SelectProtocol()
    {
        var candidates = CandidateProtocols();
        var votes = new Dictionary<string, int>();
        foreach (var member in Members.Values)
        {
            var vote = member.Protocols.First(p => candidates.Contains(p.Name)).Name;
            votes[vote] = votes.GetValueOrDefault(vote) + 1;
        }

        var order = Members.Values.First().Protocols.Select(p => p.Name).Where(candidates.Contains).ToList();
        return order.OrderByDescending(name => votes.GetValueOrDefault(name)).First();
    }

    public GroupSnapshot Snapshot() => new(
        ProtocolType,
        Generation,
        ProtocolName,
        Leader,
        StateTimestamp.ToUnixTimeMilliseconds(),
        [.. Members.Values.Select(m => new MemberSnapshot(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost, m.RebalanceTimeoutMs, m.SessionTimeoutMs, m.MetadataFor(ProtocolName) ?? [], m.Assignment))]);
}
