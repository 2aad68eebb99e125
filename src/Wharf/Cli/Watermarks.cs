using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli;

/// <summary>A partition's log start offset (low watermark) and log end offset (high watermark).</summary>
internal readonly record struct Watermark(long Low, long High);

/// <summary>Reads watermarks with ListOffsets (earliest and latest). Thread-safety: stateless.</summary>
internal static class Watermarks
{
    public static async Task<Dictionary<TopicPartition, Watermark>> ReadAsync(IAdminClient admin, IReadOnlyCollection<TopicPartition> partitions)
    {
        if (partitions.Count == 0)
        {
            return [];
        }

        var options = new ListOffsetsOptions { RequestTimeout = Admin.Timeout };
        var earliest = await admin.ListOffsetsAsync(partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = OffsetSpec.Earliest() }), options);
        var latest = await admin.ListOffsetsAsync(partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = OffsetSpec.Latest() }), options);
        var high = latest.ResultInfos.ToDictionary(r => r.TopicPartitionOffsetError.TopicPartition, r => r.TopicPartitionOffsetError.Offset.Value);
        return earliest.ResultInfos.ToDictionary(
            r => r.TopicPartitionOffsetError.TopicPartition,
            r => new Watermark(r.TopicPartitionOffsetError.Offset.Value, high.GetValueOrDefault(r.TopicPartitionOffsetError.TopicPartition, -1)));
    }

    /// <summary>The topic's partitions as the cluster describes them, or a one-line error when it does not exist.</summary>
    public static async Task<TopicDescription> DescribeTopicAsync(IAdminClient admin, string topic)
    {
        var result = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]), new DescribeTopicsOptions { RequestTimeout = Admin.Timeout });
        return result.TopicDescriptions[0];
    }
}
