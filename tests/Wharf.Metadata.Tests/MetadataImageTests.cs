using Wharf.Common;

namespace Wharf.Metadata.Tests;

public class MetadataImageTests
{
    private static readonly Guid OrdersId = Guid.Parse("11111111-0000-0000-0000-000000000001");
    private static readonly Guid PaymentsId = Guid.Parse("22222222-0000-0000-0000-000000000002");

    [Fact]
    public void Apply_TopicAndPartitions_MakesThemFindableByNameIdAndPartition()
    {
        var image = Build(
            new TopicRecord("orders", OrdersId),
            new PartitionRecord(OrdersId, 0, [1], [1], 1, 0, 0),
            new PartitionRecord(OrdersId, 1, [1], [1], 1, 0, 0));

        Assert.True(image.TryGetTopic("orders", out var byName));
        Assert.True(image.TryGetTopic(OrdersId, out var byId));
        Assert.Same(byName, byId);
        Assert.Equal(2, byName.PartitionCount);
        Assert.True(image.TryGetPartition(new TopicPartition("orders", 1), out var partition));
        Assert.Equal(1, partition.Leader);
        Assert.False(image.TryGetPartition(new TopicPartition("orders", 2), out _));
    }

    [Fact]
    public void Apply_APartitionBeingReassigned_KeepsItsAddingAndRemovingReplicas_AndASnapshotRebuildsThem()
    {
        var image = Build(
            new TopicRecord("orders", OrdersId),
            new PartitionRecord(OrdersId, 0, [3, 1, 2], [1, 2], 1, 0, 1) { AddingReplicas = [3], RemovingReplicas = [2] });

        Assert.True(image.TryGetPartition(new TopicPartition("orders", 0), out var partition));
        Assert.True(partition.IsReassigning);
        Assert.Equal([3, 1], partition.TargetReplicas.ToArray());
        Assert.Equal([1, 2], partition.OriginalReplicas.ToArray());
        Assert.Equal(2, image.TopicsByName["orders"].ReplicationFactor);
        var rebuilt = Build([.. image.ToRecords()]);
        Assert.True(rebuilt.TryGetPartition(new TopicPartition("orders", 0), out var again));
        Assert.Equal(partition, again);
    }

    [Fact]
    public void Apply_DoesNotChangeTheImageItWasCalledOn()
    {
        var before = Build(new TopicRecord("orders", OrdersId));

        var after = before.Apply(new RemoveTopicRecord(OrdersId));

        Assert.True(before.TryGetTopic("orders", out _));
        Assert.False(after.TryGetTopic("orders", out _));
    }

    [Fact]
    public void Apply_ConfigRecords_SetAndRemoveOverrides()
    {
        var image = Build(
            new TopicRecord("orders", OrdersId),
            new ConfigRecord(ConfigResourceType.Topic, "orders", "retention.ms", "1000"),
            new ConfigRecord(ConfigResourceType.Topic, "orders", "cleanup.policy", "compact"),
            new ConfigRecord(ConfigResourceType.Topic, "orders", "retention.ms", null));

        Assert.Equal(new Dictionary<string, string> { ["cleanup.policy"] = "compact" }, image.GetTopicConfigs("orders"));
    }

    [Fact]
    public void Apply_RemoveTopic_DropsItsPartitionsAndConfigs()
    {
        var image = Build(
            new TopicRecord("orders", OrdersId),
            new PartitionRecord(OrdersId, 0, [1], [1], 1, 0, 0),
            new ConfigRecord(ConfigResourceType.Topic, "orders", "retention.ms", "1000"),
            new RemoveTopicRecord(OrdersId));

        Assert.Empty(image.TopicsByName);
        Assert.Empty(image.TopicsById);
        Assert.Empty(image.GetTopicConfigs("orders"));
    }

    [Fact]
    public void Apply_GroupConfigRecords_SetAndRemoveOverrides_WithoutTheGroupExisting()
    {
        var image = Build(
            new ConfigRecord(ConfigResourceType.Group, "workers", "share.record.lock.duration.ms", "20000"),
            new ConfigRecord(ConfigResourceType.Group, "workers", "share.isolation.level", "read_committed"),
            new ConfigRecord(ConfigResourceType.Group, "workers", "share.record.lock.duration.ms", null),
            new ConfigRecord(ConfigResourceType.Group, "others", "share.auto.offset.reset", "earliest"),
            new ConfigRecord(ConfigResourceType.Group, "others", "share.auto.offset.reset", null));

        Assert.Equal(new Dictionary<string, string> { ["share.isolation.level"] = "read_committed" }, image.GetGroupConfigs("workers"));
        Assert.Empty(image.GetGroupConfigs("others"));
        Assert.False(image.GroupConfigs.ContainsKey("others"));
        Assert.Empty(image.GetGroupConfigs("never-configured"));
        Assert.Empty(image.TopicConfigs);
    }

    [Fact]
    public void Apply_RemoveTopic_KeepsTheConfigsOfAGroupWithTheSameName()
    {
        var image = Build(
            new TopicRecord("orders", OrdersId),
            new ConfigRecord(ConfigResourceType.Topic, "orders", "retention.ms", "1000"),
            new ConfigRecord(ConfigResourceType.Group, "orders", "share.delivery.count.limit", "3"),
            new RemoveTopicRecord(OrdersId));

        Assert.Empty(image.GetTopicConfigs("orders"));
        Assert.Equal(new Dictionary<string, string> { ["share.delivery.count.limit"] = "3" }, image.GetGroupConfigs("orders"));
    }

    [Fact]
    public void Apply_ATopicRecordForAnExistingName_IsCorruption()
    {
        var image = Build(new TopicRecord("orders", OrdersId));

        Assert.Throws<InvalidDataException>(() => image.Apply(new TopicRecord("orders", PaymentsId)));
    }

    [Fact]
    public void Apply_APartitionOfAnUnknownTopic_IsCorruption()
    {
        Assert.Throws<InvalidDataException>(() => Build(new PartitionRecord(OrdersId, 0, [1], [1], 1, 0, 0)));
    }

    [Fact]
    public void Apply_ProducerIdRecords_NeverMoveTheNextIdBackwards()
    {
        var image = Build(new ProducerIdsRecord(1, -1, 2000), new ProducerIdsRecord(1, -1, 1000));

        Assert.Equal(2000, image.NextProducerId);
    }

    [Fact]
    public void ToRecords_RebuildsAnEqualImage()
    {
        var image = Build(
            new RegisterBrokerRecord(1, Guid.NewGuid(), [new Configuration.Listener("PLAINTEXT", "h", 1)], null),
            new TopicRecord("orders", OrdersId),
            new PartitionRecord(OrdersId, 0, [1], [1], 1, 3, 4),
            new TopicRecord("payments", PaymentsId),
            new PartitionRecord(PaymentsId, 0, [1], [1], 1, 0, 0),
            new ConfigRecord(ConfigResourceType.Topic, "payments", "retention.ms", "5"),
            new ConfigRecord(ConfigResourceType.Group, "payments-workers", "share.record.lock.duration.ms", "20000"),
            new ConfigRecord(ConfigResourceType.Group, "payments-workers", "share.dead.letter.topic", "payments-dlq"),
            new ProducerIdsRecord(1, -1, 3000));

        var rebuilt = Build([.. image.ToRecords()]);

        Assert.Equal(image.ToRecords(), rebuilt.ToRecords());
        Assert.Equal(image.Brokers, rebuilt.Brokers);
        Assert.Equal(3, rebuilt.TopicsByName["orders"].Partitions[0].LeaderEpoch);
        Assert.Equal(image.GetTopicConfigs("payments"), rebuilt.GetTopicConfigs("payments"));
        Assert.Equal(2, rebuilt.GetGroupConfigs("payments-workers").Count);
        Assert.Equal(image.GetGroupConfigs("payments-workers"), rebuilt.GetGroupConfigs("payments-workers"));
        Assert.Equal(3000, rebuilt.NextProducerId);
    }

    private static MetadataImage Build(params MetadataRecord[] records)
    {
        var image = MetadataImage.Empty("cluster", 1, 1);
        foreach (var record in records)
        {
            image = image.Apply(record);
        }

        return image;
    }
}
