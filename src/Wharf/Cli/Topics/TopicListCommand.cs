using System.CommandLine;

namespace Wharf.Cli.Topics;

/// <summary><c>wharf topic list [-i]</c>: NAME PARTITIONS REPLICAS, internal (<c>__</c>) topics only with <c>-i</c>.</summary>
internal static class TopicListCommand
{
    public static Command Create()
    {
        var includeInternal = new Option<bool>("--internal", "-i") { Description = "include internal topics (names starting with __)" };
        var command = new Command("list", "List topics") { includeInternal };
        command.Aliases.Add("ls");
        command.SetAction(CliAction.Run((parsed, _) =>
        {
            using var admin = Admin.Connect(parsed);
            var metadata = admin.GetMetadata(Admin.Timeout);
            var topics = metadata.Topics
                .Where(t => parsed.GetValue(includeInternal) || !t.Topic.StartsWith("__", StringComparison.Ordinal))
                .OrderBy(t => t.Topic, StringComparer.Ordinal)
                .Select(t => new TopicListing(t.Topic, t.Partitions.Count, t.Partitions.Count == 0 ? 0 : t.Partitions[0].Replicas.Length))
                .ToList();
            Output.List(parsed, topics, ["NAME", "PARTITIONS", "REPLICAS"], t => [t.Name, $"{t.Partitions}", $"{t.Replicas}"]);
            return Task.CompletedTask;
        }));
        return command;
    }

    private sealed record TopicListing(string Name, int Partitions, int Replicas);
}
