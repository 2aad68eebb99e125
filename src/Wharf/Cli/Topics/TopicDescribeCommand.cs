using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Topics;

/// <summary>
/// <c>wharf topic describe NAME</c>: a summary, the partitions (leader, replicas, ISR, low and high watermark) and
/// the configs with their source (e.g. DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG).
/// </summary>
internal static class TopicDescribeCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "the topic" };
        var command = new Command("describe", "Show a topic's partitions and configs") { name };
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            var topic = parsed.GetRequiredValue(name);
            using var admin = Admin.Connect(parsed);
            var description = await Watermarks.DescribeTopicAsync(admin, topic);
            var watermarks = await Watermarks.ReadAsync(admin, [.. description.Partitions.Select(p => new TopicPartition(topic, p.Partition))]);
            var configs = await admin.DescribeConfigsAsync(
                [new ConfigResource { Type = ResourceType.Topic, Name = topic }],
                new DescribeConfigsOptions { RequestTimeout = Admin.Timeout });

            var view = new TopicView(
                description.Name,
                // Kafka prints topic ids in URL-safe base64 (as kafka-topics.sh and the cluster id do); Confluent does not.
                description.TopicId.ToString().Replace('+', '-').Replace('/', '_'),
                description.IsInternal,
                [.. description.Partitions.OrderBy(p => p.Partition).Select(p =>
                {
                    var watermark = watermarks.GetValueOrDefault(new TopicPartition(topic, p.Partition), new Watermark(-1, -1));
                    return new PartitionView(p.Partition, p.Leader?.Id ?? -1, [.. p.Replicas.Select(r => r.Id)], [.. p.ISR.Select(r => r.Id)], watermark.Low, watermark.High);
                })],
                [.. configs[0].Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal)
                    .Select(e => new ConfigView(e.Name, e.IsSensitive ? null : e.Value, ConfigSources.Name(e.Source), e.IsReadOnly, e.IsSensitive))]);
            Print(parsed, view);
        }));
        return command;
    }

    private static void Print(ParseResult parsed, TopicView view)
    {
        if (Output.IsJson(parsed))
        {
            Output.Json(view);
            return;
        }

        Output.Section("SUMMARY", first: true);
        Output.Table(["NAME", "ID", "PARTITIONS", "REPLICAS", "INTERNAL"],
            [[view.Name, view.TopicId, $"{view.Partitions.Count}", $"{(view.Partitions.Count == 0 ? 0 : view.Partitions[0].Replicas.Count)}", view.Internal ? "true" : "false"]]);
        Output.Section("PARTITIONS");
        Output.Table(["PARTITION", "LEADER", "REPLICAS", "ISR", "LOW-WATERMARK", "HIGH-WATERMARK"],
            view.Partitions.Select(p => new[] { $"{p.Partition}", $"{p.Leader}", string.Join(',', p.Replicas), string.Join(',', p.Isr), $"{p.LowWatermark}", $"{p.HighWatermark}" }));
        Output.Section("CONFIGS");
        Output.Table(["KEY", "VALUE", "SOURCE"], view.Configs.Select(c => new[] { c.Name, c.Value ?? "(sensitive)", c.Source }));
    }

    private sealed record TopicView(string Name, string TopicId, bool Internal, IReadOnlyList<PartitionView> Partitions, IReadOnlyList<ConfigView> Configs);

    private sealed record PartitionView(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr, long LowWatermark, long HighWatermark);

    private sealed record ConfigView(string Name, string? Value, string Source, bool ReadOnly, bool Sensitive);
}
