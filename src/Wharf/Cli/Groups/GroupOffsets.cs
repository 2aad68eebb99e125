using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Groups;

/// <summary>Reads a group's committed offsets. Thread-safety: stateless.</summary>
internal static class GroupOffsets
{
    /// <summary>The committed offset per partition (only partitions with a commit; all topics when none are named).</summary>
    public static async Task<Dictionary<TopicPartition, long>> CommittedAsync(IAdminClient admin, string group, List<TopicPartition>? partitions = null)
    {
        var results = await admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(group, partitions)],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = Admin.Timeout });
        return results[0].Partitions
            .Where(p => p.Offset.Value >= 0)
            .ToDictionary(p => p.TopicPartition, p => p.Offset.Value);
    }
}
