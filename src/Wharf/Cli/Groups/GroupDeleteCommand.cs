using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Groups;

/// <summary><c>wharf group delete GROUP</c>: removes an empty group and its committed offsets.</summary>
internal static class GroupDeleteCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("GROUP") { Description = "the group" };
        var command = new Command("delete", "Delete an empty group and its committed offsets") { name };
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var group = parsed.GetRequiredValue(name);
            using var admin = Admin.Connect(parsed);
            await admin.DeleteGroupsAsync([group], new DeleteGroupsOptions { RequestTimeout = Admin.Timeout });
            Output.List(parsed, [new Deleted(group, "deleted")], ["GROUP", "STATUS"], d => [d.Group, "OK"]);
        }));
        return command;
    }

    private sealed record Deleted(string Group, string Status);
}
