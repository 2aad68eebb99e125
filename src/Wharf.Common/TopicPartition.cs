namespace Wharf.Common;

/// <summary>A partition of a topic: the unit of ordering, storage and leadership.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    /// <summary>The directory name Kafka uses for a partition log: <c>topic-partition</c>.</summary>
    public override string ToString() => $"{Topic}-{Partition}";
}
