using System.CommandLine;

namespace Wharf.Cli.Topics;

/// <summary><c>wharf topic ...</c>: list, create, describe, delete, alter-config, add-partitions.</summary>
internal static class TopicCommand
{
    public static Command Create() => new Command("topic", "Create, inspect, change and delete topics")
    {
        TopicListCommand.Create(),
        TopicCreateCommand.Create(),
        TopicDescribeCommand.Create(),
        TopicDeleteCommand.Create(),
        TopicAlterConfigCommand.Create(),
        TopicAddPartitionsCommand.Create(),
    }.WithGlobalOptions();
}
