using System.CommandLine;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Topics;

/// <summary><c>wharf topic alter-config NAME [--set k=v]... [--delete k]...</c>: an incremental config change.</summary>
internal static class TopicAlterConfigCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "the topic" };
        var set = new Option<string[]>("--set", "-s") { Description = "set a topic config, repeatable", HelpName = "key=value" };
        var delete = new Option<string[]>("--delete", "-d") { Description = "remove a topic config (back to the default), repeatable", HelpName = "key" };
        var command = new Command("alter-config", "Set or remove topic configs") { name, set, delete };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(set)?.Length ?? 0) + (result.GetValue(delete)?.Length ?? 0) == 0)
            {
                result.AddError("alter-config needs at least one --set or --delete");
            }
        });
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var topic = parsed.GetRequiredValue(name);
            var entries = KeyValues.Parse(parsed.GetValue(set) ?? [], "--set")
                .Select(kv => new ConfigEntry { Name = kv.Key, Value = kv.Value, IncrementalOperation = AlterConfigOpType.Set })
                .Concat((parsed.GetValue(delete) ?? []).Select(key => new ConfigEntry { Name = key, IncrementalOperation = AlterConfigOpType.Delete }))
                .ToList();
            using var admin = Admin.Connect(parsed);
            await admin.IncrementalAlterConfigsAsync(
                new() { [new ConfigResource { Type = ResourceType.Topic, Name = topic }] = entries },
                new IncrementalAlterConfigsOptions { RequestTimeout = Admin.Timeout });
            var changes = entries.Select(e => new Change(e.Name, e.IncrementalOperation == AlterConfigOpType.Set ? "set" : "delete", e.Value)).ToList();
            Output.List(parsed, changes, ["KEY", "OPERATION", "VALUE"], c => [c.Key, c.Operation.ToUpperInvariant(), c.Value ?? ""]);
        }));
        return command;
    }

    private sealed record Change(string Key, string Operation, string? Value);
}
