using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Groups;

/// <summary>
/// <c>wharf group list</c>: GROUP TYPE STATE for every group the cluster lists (classic and consumer groups, and
/// share groups as far as the AdminClient reports them; a type it does not know is shown as <c>unknown</c>).
/// </summary>
internal static class GroupListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "List groups");
        command.Aliases.Add("ls");
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            using var admin = Admin.Connect(parsed);
            var result = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = Admin.Timeout });
            var groups = result.Valid
                .OrderBy(g => g.GroupId, StringComparer.Ordinal)
                .Select(g => new GroupListing(g.GroupId, Names.Of(g.Type), Names.Of(g.State)))
                .ToList();
            Output.List(parsed, groups, ["GROUP", "TYPE", "STATE"], g => [g.Group, g.Type, g.State]);
        }));
        return command;
    }

    private sealed record GroupListing(string Group, string Type, string State);
}
