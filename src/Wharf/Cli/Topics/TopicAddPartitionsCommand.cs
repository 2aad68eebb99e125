using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Topics;

/// <summary><c>wharf topic add-partitions NAME -n TOTAL</c>: grows the topic to TOTAL partitions.</summary>
internal static class TopicAddPartitionsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "the topic" };
        var total = new Option<int>("--num", "-n") { Description = "the total number of partitions afterwards", Required = true };
        var command = new Command("add-partitions", "Add partitions to a topic") { name, total };
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var topic = parsed.GetRequiredValue(name);
            var count = parsed.GetValue(total);
            using var admin = Admin.Connect(parsed);
            await admin.CreatePartitionsAsync(
                [new PartitionsSpecification { Topic = topic, IncreaseTo = count }],
                new CreatePartitionsOptions { RequestTimeout = Admin.Timeout, OperationTimeout = Admin.Timeout });
            Output.List(parsed, [new Grown(topic, count)], ["TOPIC", "PARTITIONS"], g => [g.Name, $"{g.Partitions}"]);
        }));
        return command;
    }

    private sealed record Grown(string Name, int Partitions);
}
