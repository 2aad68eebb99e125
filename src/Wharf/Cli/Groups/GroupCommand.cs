using System.CommandLine;

namespace Wharf.Cli.Groups;

/// <summary><c>wharf group ...</c>: list, describe, delete, reset-offsets.</summary>
internal static class GroupCommand
{
    public static Command Create() => new Command("group", "Inspect consumer and share groups, their lag and committed offsets")
    {
        GroupListCommand.Create(),
        GroupDescribeCommand.Create(),
        GroupDeleteCommand.Create(),
        GroupResetOffsetsCommand.Create(),
    }.WithGlobalOptions();
}
