using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Share;

/// <summary>
/// A share group's membership (KIP-932) as its coordinator holds it: members, what each subscribes to and is assigned,
/// and the group epoch, bumped by every change of members, subscriptions or the subscribed topics' partitions. Several
/// members may be assigned the same partition — the share-partition hands each record to one of them — so an
/// assignment takes effect at once, without the revocation round of consumer groups.
/// Thread-safety: none; owned by its coordinator partition's event loop.
/// </summary>
internal sealed class ShareGroup(string groupId)
{
    public string GroupId { get; } = groupId;

    public int GroupEpoch { get; set; }

    /// <summary>The group epoch the current assignments were computed at.</summary>
    public int AssignmentEpoch { get; set; }

    /// <summary>The subscribed topics' (id, partitions) when the assignments were computed: a change bumps the epoch.</summary>
    public Dictionary<string, (Guid TopicId, int Partitions)> AssignedTopics { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, ShareMember> Members { get; } = new(StringComparer.Ordinal);

    public string State => Members.Count == 0 ? "Empty" : "Stable";

    /// <summary>
    /// Spreads every subscribed topic's partitions over the members subscribing to it, in member-id order: with fewer
    /// members than partitions each partition goes to one member, round-robin; with more, each member gets one partition
    /// round-robin, so every member has work and every partition has a consumer.
    /// </summary>
    public void Assign(IReadOnlyDictionary<string, (Guid TopicId, int Partitions)> topics)
    {
        foreach (var member in Members.Values)
        {
            member.Assignment = [];
        }

        foreach (var (topic, (topicId, partitions)) in topics.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var subscribers = Members.Values.Where(m => m.SubscribedTopics.Contains(topic)).OrderBy(m => m.MemberId, StringComparer.Ordinal).ToList();
            if (subscribers.Count == 0 || partitions == 0)
            {
                continue;
            }

            var assigned = subscribers.ToDictionary(m => m.MemberId, _ => new SortedSet<int>(), StringComparer.Ordinal);
            if (subscribers.Count <= partitions)
            {
                for (var p = 0; p < partitions; p++)
                {
                    assigned[subscribers[p % subscribers.Count].MemberId].Add(p);
                }
            }
            else
            {
                for (var m = 0; m < subscribers.Count; m++)
                {
                    assigned[subscribers[m].MemberId].Add(m % partitions);
                }
            }

            foreach (var member in subscribers)
            {
                member.Assignment[topicId] = [.. assigned[member.MemberId]];
            }
        }

        AssignedTopics = new Dictionary<string, (Guid, int)>(topics, StringComparer.Ordinal);
        AssignmentEpoch = GroupEpoch;
    }
}

/// <summary>One member of a <see cref="ShareGroup"/>.</summary>
internal sealed class ShareMember(string memberId)
{
    public string MemberId { get; } = memberId;

    public int MemberEpoch { get; set; }

    public string? RackId { get; set; }

    public string ClientId { get; set; } = "";

    public string ClientHost { get; set; } = "";

    public HashSet<string> SubscribedTopics { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Assigned partitions by topic id.</summary>
    public Dictionary<Guid, int[]> Assignment { get; set; } = [];

    /// <summary>The assignment the member was last told, to send it again only when it changed.</summary>
    public Dictionary<Guid, int[]>? SentAssignment { get; set; }

    public CoordinatorTimer? SessionTimer { get; set; }
}
