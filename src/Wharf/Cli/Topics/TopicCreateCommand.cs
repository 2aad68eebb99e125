using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Topics;

/// <summary><c>wharf topic create NAME [-p PARTITIONS] [-r REPLICAS] [-c key=value]...</c> (rpk's flags).</summary>
internal static class TopicCreateCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "the topic" };
        var partitions = new Option<int>("--partitions", "-p") { Description = "number of partitions (default: the broker's num.partitions)", DefaultValueFactory = _ => -1 };
        var replicas = new Option<short>("--replicas", "-r") { Description = "replication factor (default: the broker's default.replication.factor)", DefaultValueFactory = _ => -1 };
        var configs = new Option<string[]>("--topic-config", "-c") { Description = "a topic config, repeatable", HelpName = "key=value" };
        var command = new Command("create", "Create a topic") { name, partitions, replicas, configs };
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var topic = parsed.GetRequiredValue(name);
            var specification = new TopicSpecification
            {
                Name = topic,
                NumPartitions = parsed.GetValue(partitions),
                ReplicationFactor = parsed.GetValue(replicas),
                Configs = KeyValues.Parse(parsed.GetValue(configs) ?? [], "-c"),
            };
            using var admin = Admin.Connect(parsed);
            await admin.CreateTopicsAsync([specification], new CreateTopicsOptions { RequestTimeout = Admin.Timeout, OperationTimeout = Admin.Timeout });
            Output.List(parsed, [new Created(topic, "created")], ["TOPIC", "STATUS"], c => [c.Name, "OK"]);
        }));
        return command;
    }

    private sealed record Created(string Name, string Status);
}
