using System.CommandLine;

namespace Wharf.Cli.Groups;

/// <summary>
/// How <c>wharf group describe</c> prints a share group: a summary, its members with their assignments (in a share
/// group several members may share a partition), and per partition the start offset (every record below it is
/// acknowledged or archived) and the lag (records from the start offset to the high watermark not yet done; null
/// when the broker does not know it). Thread-safety: stateless.
/// </summary>
internal static class ShareGroupDescription
{
    public static void Print(ParseResult parsed, string group, ShareGroupState state)
    {
        var described = state.Described;
        var partitions = state.Offsets.Select(o => new SharePartition(o.Topic, o.Partition, o.StartOffset, o.Lag >= 0 ? o.Lag : null)).ToList();
        var view = new ShareGroupView(
            group,
            "share",
            described.GroupState.ToLowerInvariant(),
            state.Coordinator,
            described.AssignorName,
            described.GroupEpoch,
            partitions.Sum(p => p.Lag ?? 0),
            [.. described.Members.Select(m => new ShareMember(
                m.MemberId, m.ClientId, m.ClientHost, m.MemberEpoch, m.SubscribedTopicNames,
                [.. m.Assignment.TopicPartitions.OrderBy(t => t.TopicName, StringComparer.Ordinal).Select(t => new AssignedPartitions(t.TopicName, [.. t.Partitions.Order()]))]))],
            partitions);
        if (Output.IsJson(parsed))
        {
            Output.Json(view);
            return;
        }

        Output.Section("SUMMARY", first: true);
        Output.Table(["GROUP", "TYPE", "STATE", "COORDINATOR", "ASSIGNOR", "MEMBERS", "TOTAL-LAG"],
            [[view.Group, view.Type, view.State, $"{view.Coordinator}", view.Assignor, $"{view.Members.Count}", $"{view.TotalLag}"]]);
        Output.Section("MEMBERS");
        Output.Table(["MEMBER-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"],
            view.Members.Select(m => new[]
            {
                m.MemberId, m.ClientId, m.Host,
                string.Join(' ', m.Assignment.Select(a => $"{a.Topic}:{string.Join(',', a.Partitions)}")),
            }));
        Output.Section("PARTITIONS");
        Output.Table(["TOPIC", "PARTITION", "START-OFFSET", "LAG"],
            view.Partitions.Select(p => new[] { p.Topic, $"{p.Partition}", $"{p.StartOffset}", p.Lag?.ToString() ?? "-" }));
    }

    private sealed record ShareGroupView(
        string Group, string Type, string State, int Coordinator, string Assignor, int GroupEpoch, long TotalLag,
        IReadOnlyList<ShareMember> Members, IReadOnlyList<SharePartition> Partitions);

    private sealed record ShareMember(string MemberId, string ClientId, string Host, int MemberEpoch, IReadOnlyList<string> SubscribedTopics, IReadOnlyList<AssignedPartitions> Assignment);

    private sealed record AssignedPartitions(string Topic, IReadOnlyList<int> Partitions);

    private sealed record SharePartition(string Topic, int Partition, long StartOffset, long? Lag);
}
