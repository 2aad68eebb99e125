using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Groups;

/// <summary>
/// <c>wharf group list</c>: GROUP TYPE STATE for every group the cluster lists: classic and consumer groups through
/// the AdminClient, share groups through <see cref="ShareGroups"/> (type <c>share</c> and their state).
/// </summary>
internal static class GroupListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "List groups");
        command.Aliases.Add("ls");
        command.SetAction(CliAction.Run(async (parsed, cancellationToken) =>
        {
            using var admin = Admin.Connect(parsed);
            var result = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = Admin.Timeout });
            var groups = result.Valid
                .Select(g => new GroupListing(g.GroupId, Names.Of(g.Type), Names.Of(g.State)))
                .ToList();

            // librdkafka 2.16's ListConsumerGroups drops groups of types it does not know, share groups (KIP-932)
            // among them: they are listed with their state from ListGroups v5 sent to every broker. A cluster too old
            // for that still names them in librdkafka's per-broker ListGroups, without type or state (unknown).
            var listed = groups.Select(g => g.Group).ToHashSet(StringComparer.Ordinal);
            groups.AddRange((await ShareGroups.ListAsync(admin, cancellationToken) ?? [])
                .Where(g => listed.Add(g.Group))
                .Select(g => new GroupListing(g.Group, "share", g.State)));
            groups.AddRange(admin.ListGroups(Admin.Timeout)
                .Where(g => listed.Add(g.Group))
                .Select(g => new GroupListing(g.Group, g.ProtocolType == "share" ? "share" : "unknown", "unknown")));
            groups.Sort((a, b) => string.CompareOrdinal(a.Group, b.Group));
            Output.List(parsed, groups, ["GROUP", "TYPE", "STATE"], g => [g.Group, g.Type, g.State]);
        }));
        return command;
    }

    private sealed record GroupListing(string Group, string Type, string State);
}
