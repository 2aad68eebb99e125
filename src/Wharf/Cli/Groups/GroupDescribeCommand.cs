using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Groups;

/// <summary>
/// <c>wharf group describe GROUP</c>: state, members, and per partition (kafka-consumer-groups.sh's columns plus
/// LOG-START-OFFSET) TOPIC PARTITION CURRENT-OFFSET LOG-START-OFFSET LOG-END-OFFSET LAG MEMBER-ID CLIENT-ID HOST.
/// A partition is listed when the group has committed an offset for it or a member is assigned it. A share group is
/// described by <see cref="ShareGroupDescription"/> instead (members, start offsets and lag).
/// </summary>
internal static class GroupDescribeCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("GROUP") { Description = "the group" };
        var command = new Command("describe", "Show a group's state, members and lag") { name };
        command.SetAction(CliAction.Run(async (parsed, cancellationToken) =>
        {
            var group = parsed.GetRequiredValue(name);
            if (await TryDescribeShareGroupAsync(parsed, group, cancellationToken) is { } share)
            {
                ShareGroupDescription.Print(parsed, group, share);
                return;
            }

            using var admin = Admin.Connect(parsed);
            var described = await admin.DescribeConsumerGroupsAsync([group], new DescribeConsumerGroupsOptions { RequestTimeout = Admin.Timeout });
            var description = described.ConsumerGroupDescriptions[0];
            var committed = await GroupOffsets.CommittedAsync(admin, group);
            if (description.State == ConsumerGroupState.Dead && committed.Count == 0)
            {
                throw new CliException($"group '{group}' does not exist");
            }

            var owners = description.Members
                .SelectMany(m => (m.Assignment?.TopicPartitions ?? []).Select(p => (Partition: p, Member: m)))
                .ToDictionary(x => x.Partition, x => x.Member);
            var partitions = committed.Keys.Union(owners.Keys).ToList();
            var watermarks = await Watermarks.ReadAsync(admin, partitions);

            var offsets = partitions
                .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value)
                .Select(p =>
                {
                    long? current = committed.TryGetValue(p, out var offset) ? offset : null;
                    var watermark = watermarks.GetValueOrDefault(p, new Watermark(-1, -1));
                    var owner = owners.GetValueOrDefault(p);
                    return new PartitionLag(p.Topic, p.Partition.Value, current, watermark.Low, watermark.High,
                        current is { } c && watermark.High >= 0 ? Math.Max(0, watermark.High - c) : null,
                        owner?.ConsumerId, owner?.ClientId, owner?.Host);
                })
                .ToList();
            var view = new GroupView(
                group,
                Names.Of(description.GroupType),
                Names.Of(description.State),
                description.Coordinator?.Id,
                description.PartitionAssignor,
                offsets.Sum(o => o.Lag ?? 0),
                [.. description.Members.Select(m => new MemberView(m.ConsumerId, m.GroupInstanceId, m.ClientId, m.Host, m.Assignment?.TopicPartitions.Count ?? 0))],
                offsets);
            Print(parsed, view);
        }));
        return command;
    }

    /// <summary>
    /// The share group of that name, or null: none exists, or the cluster does not speak the share-group APIs (then
    /// the consumer-group path below reports what it finds, errors included).
    /// </summary>
    private static async Task<ShareGroupState?> TryDescribeShareGroupAsync(ParseResult parsed, string group, CancellationToken cancellationToken)
    {
        try
        {
            return await ShareGroups.DescribeAsync(parsed.GetValue(GlobalOptions.Bootstrap)!, group, cancellationToken);
        }
        catch (CliException)
        {
            return null;
        }
    }

    private static void Print(ParseResult parsed, GroupView view)
    {
        if (Output.IsJson(parsed))
        {
            Output.Json(view);
            return;
        }

        Output.Section("SUMMARY", first: true);
        Output.Table(["GROUP", "TYPE", "STATE", "COORDINATOR", "ASSIGNOR", "MEMBERS", "TOTAL-LAG"],
            [[view.Group, view.Type, view.State, $"{view.Coordinator}", view.Assignor ?? "", $"{view.Members.Count}", $"{view.TotalLag}"]]);
        Output.Section("PARTITIONS");
        Output.Table(["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST"],
            view.Partitions.Select(p => new[]
            {
                p.Topic, $"{p.Partition}", p.CurrentOffset?.ToString() ?? "-", $"{p.LogStartOffset}", $"{p.LogEndOffset}",
                p.Lag?.ToString() ?? "-", p.MemberId ?? "-", p.ClientId ?? "-", p.Host ?? "-",
            }));
    }

    private sealed record GroupView(
        string Group, string Type, string State, int? Coordinator, string? Assignor, long TotalLag,
        IReadOnlyList<MemberView> Members, IReadOnlyList<PartitionLag> Partitions);

    private sealed record MemberView(string MemberId, string? InstanceId, string ClientId, string Host, int AssignedPartitions);

    private sealed record PartitionLag(
        string Topic, int Partition, long? CurrentOffset, long LogStartOffset, long LogEndOffset, long? Lag,
        string? MemberId, string? ClientId, string? Host);
}
