using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Spectre.Console;

namespace Wharf.Cli.Groups;

/// <summary>
/// <c>wharf group reset-offsets GROUP --topic T (--to-earliest|--to-latest|--to-offset N|--shift-by N) [--execute]</c>:
/// like kafka-consumer-groups.sh, a dry run by default that prints the plan (every partition of the topic, the target
/// clamped to the log's start and end offsets); <c>--execute</c> commits it (with a progress bar on a terminal when
/// there are more than 100 partitions). The group must have no active members.
/// </summary>
internal static class GroupResetOffsetsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("GROUP") { Description = "the group" };
        var topic = new Option<string>("--topic", "-t") { Description = "the topic whose offsets to reset", Required = true };
        var toEarliest = new Option<bool>("--to-earliest") { Description = "reset to the log start offset" };
        var toLatest = new Option<bool>("--to-latest") { Description = "reset to the log end offset" };
        var toOffset = new Option<long?>("--to-offset") { Description = "reset to this offset", HelpName = "N" };
        var shiftBy = new Option<long?>("--shift-by") { Description = "move the committed offset by N (negative: back)", HelpName = "N" };
        var execute = new Option<bool>("--execute") { Description = "commit the new offsets (default: only print the plan)" };
        var command = new Command("reset-offsets", "Plan, or with --execute commit, new offsets for a group") { name, topic, toEarliest, toLatest, toOffset, shiftBy, execute };
        command.Validators.Add(result =>
        {
            var given = (result.GetValue(toEarliest) ? 1 : 0) + (result.GetValue(toLatest) ? 1 : 0)
                + (result.GetValue(toOffset) is null ? 0 : 1) + (result.GetValue(shiftBy) is null ? 0 : 1);
            if (given != 1)
            {
                result.AddError("reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --shift-by");
            }
        });
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var group = parsed.GetRequiredValue(name);
            var topicName = parsed.GetRequiredValue(topic);
            using var admin = Admin.Connect(parsed);
            var description = await Watermarks.DescribeTopicAsync(admin, topicName);
            var partitions = description.Partitions.Select(p => new TopicPartition(topicName, p.Partition)).OrderBy(p => p.Partition.Value).ToList();
            var watermarks = await Watermarks.ReadAsync(admin, partitions);
            var committed = await GroupOffsets.CommittedAsync(admin, group, partitions);

            var plan = partitions.Select(p =>
            {
                var watermark = watermarks[p];
                long? current = committed.TryGetValue(p, out var offset) ? offset : null;
                var target = parsed.GetValue(toEarliest) ? watermark.Low
                    : parsed.GetValue(toLatest) ? watermark.High
                    : parsed.GetValue(toOffset) is { } exact ? exact
                    : (current ?? watermark.Low) + parsed.GetValue(shiftBy)!.Value;
                return new PlannedOffset(topicName, p.Partition.Value, current, Math.Clamp(target, watermark.Low, watermark.High));
            }).ToList();

            var executed = parsed.GetValue(execute);
            if (executed)
            {
                await CommitAsync(admin, group, plan);
            }

            if (Output.IsJson(parsed))
            {
                Output.Json(new ResetView(group, topicName, executed, plan));
            }
            else
            {
                Output.Table(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"],
                    plan.Select(p => new[] { group, p.Topic, $"{p.Partition}", p.CurrentOffset?.ToString() ?? "-", $"{p.NewOffset}" }));
            }

            if (!executed)
            {
                await Console.Error.WriteLineAsync("dry run: nothing changed; add --execute to commit these offsets");
            }
        }));
        return command;
    }

    /// <summary>
    /// Commits the plan: in one request up to <see cref="CommitChunk"/> partitions, in requests of that many beyond
    /// (each one atomic on its own), with a progress bar while stdout is a terminal.
    /// </summary>
    private static async Task CommitAsync(IAdminClient admin, string group, List<PlannedOffset> plan)
    {
        var chunks = plan.Chunk(CommitChunk).ToList();
        async Task CommitChunksAsync(Action<int> committed)
        {
            foreach (var chunk in chunks)
            {
                await admin.AlterConsumerGroupOffsetsAsync(
                    [new ConsumerGroupTopicPartitionOffsets(group, [.. chunk.Select(p => new TopicPartitionOffset(p.Topic, p.Partition, p.NewOffset))])],
                    new AlterConsumerGroupOffsetsOptions { RequestTimeout = Admin.Timeout });
                committed(chunk.Length);
            }
        }

        if (chunks.Count <= 1 || Console.IsOutputRedirected)
        {
            await CommitChunksAsync(_ => { });
            return;
        }

        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"committing {plan.Count} offsets", maxValue: plan.Count);
                await CommitChunksAsync(count => task.Increment(count));
            });
    }

    private const int CommitChunk = 100;

    private sealed record PlannedOffset(string Topic, int Partition, long? CurrentOffset, long NewOffset);

    private sealed record ResetView(string Group, string Topic, bool Executed, IReadOnlyList<PlannedOffset> Partitions);
}
