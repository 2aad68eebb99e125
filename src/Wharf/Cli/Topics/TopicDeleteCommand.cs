using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Topics;

/// <summary><c>wharf topic delete NAME</c>.</summary>
internal static class TopicDeleteCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "the topic" };
        var command = new Command("delete", "Delete a topic and its data") { name };
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var topic = parsed.GetRequiredValue(name);
            using var admin = Admin.Connect(parsed);
            await admin.DeleteTopicsAsync([topic], new DeleteTopicsOptions { RequestTimeout = Admin.Timeout, OperationTimeout = Admin.Timeout });
            Output.List(parsed, [new Deleted(topic, "deleted")], ["TOPIC", "STATUS"], d => [d.Name, "OK"]);
        }));
        return command;
    }

    private sealed record Deleted(string Name, string Status);
}
