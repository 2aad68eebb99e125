using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

public class MetadataRecordSerializerTests
{
    public static TheoryData<MetadataRecord> EveryRecordType() =>
    [
        new TopicRecord("orders", Guid.NewGuid()),
        new TopicRecord("ünïcode-topic", Guid.NewGuid()),
        new PartitionRecord(Guid.NewGuid(), 7, [1, 2, 3], [1, 3], 1, 4, 9),
        new PartitionRecord(Guid.NewGuid(), 0, [], [], -1, 0, 0),
        new PartitionRecord(Guid.NewGuid(), 3, [4, 5, 1, 2], [1, 2, 4], 1, 2, 6) { AddingReplicas = [4, 5], RemovingReplicas = [1, 2] },
        new PartitionRecord(Guid.NewGuid(), 3, [1, 2], [1, 2], 1, 2, 6) { RemovingReplicas = [2] },
        new ConfigRecord(ConfigResourceType.Topic, "orders", "retention.ms", "1000"),
        new ConfigRecord(ConfigResourceType.Broker, "1", "log.retention.ms", null),
        new ConfigRecord(ConfigResourceType.Group, "payments-workers", "share.record.lock.duration.ms", "20000"),
        new ConfigRecord(ConfigResourceType.Group, "payments-workers", "share.isolation.level", null),
        new RemoveTopicRecord(Guid.NewGuid()),
        new ProducerIdsRecord(1, -1, 5000),
        new RegisterBrokerRecord(1, Guid.NewGuid(), [new Listener("PLAINTEXT", "127.0.0.1", 9092), new Listener("INTERNAL", "::1", 0)], "rack-a"),
        new RegisterBrokerRecord(2, Guid.NewGuid(), [], null),
        new BrokerRegistrationChangeRecord(3, Guid.NewGuid(), Fenced: true),
        new BrokerRegistrationChangeRecord(3, Guid.NewGuid(), Fenced: false),
    ];

    [Theory]
    [MemberData(nameof(EveryRecordType))]
    public void Deserialize_OfSerialize_GivesTheSameRecord(MetadataRecord record)
    {
        var bytes = MetadataRecordSerializer.Serialize(record);

        Assert.Equal(record, MetadataRecordSerializer.Deserialize(bytes));
    }

    [Theory]
    [MemberData(nameof(EveryRecordType))]
    public void Deserialize_OfATruncatedRecord_Throws(MetadataRecord record)
    {
        var bytes = MetadataRecordSerializer.Serialize(record);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => MetadataRecordSerializer.Deserialize(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Deserialize_WithTrailingBytes_Throws()
    {
        var bytes = MetadataRecordSerializer.Serialize(new RemoveTopicRecord(Guid.NewGuid())).Append((byte)0).ToArray();

        Assert.Throws<InvalidDataException>(() => MetadataRecordSerializer.Deserialize(bytes));
    }

    [Fact]
    public void Deserialize_OfAnUnknownTypeOrVersion_Throws()
    {
        Assert.Throws<InvalidDataException>(() => MetadataRecordSerializer.Deserialize([99, 0]));
        Assert.Throws<InvalidDataException>(() => MetadataRecordSerializer.Deserialize([4, 1, .. new byte[16]]));
    }

    [Fact]
    public void Deserialize_WithAHugeElementCount_ThrowsWithoutAllocatingIt()
    {
        var bytes = MetadataRecordSerializer.Serialize(new PartitionRecord(Guid.NewGuid(), 0, [1], [1], 1, 0, 0));
        bytes[2 + 16 + 4] = 0xFF;
        bytes[2 + 16 + 4 + 1] = 0xFF;
        bytes[2 + 16 + 4 + 2] = 0xFF;
        bytes[2 + 16 + 4 + 3] = 0x7F;

        Assert.Throws<InvalidDataException>(() => MetadataRecordSerializer.Deserialize(bytes));
    }

    [Fact]
    public void Deserialize_OfAPartitionRecordWrittenBeforeReassignments_ReadsItWithoutAReassignment()
    {
        // Version 0 of PartitionRecord as builds before reassignments wrote it, byte for byte.
        var id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        byte[] v0 =
        [
            2, 0, .. Convert.FromHexString("00112233445566778899aabbccddeeff"), 7, 0, 0, 0,
            2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, // replicas [1, 3]
            1, 0, 0, 0, 3, 0, 0, 0,             // isr [3]
            3, 0, 0, 0, 4, 0, 0, 0, 9, 0, 0, 0, // leader 3, leader epoch 4, partition epoch 9
        ];

        var record = Assert.IsType<PartitionRecord>(MetadataRecordSerializer.Deserialize(v0));

        Assert.Equal(new PartitionRecord(id, 7, [1, 3], [3], 3, 4, 9), record);
        Assert.Empty(record.AddingReplicas);
        Assert.Empty(record.RemovingReplicas);
    }

    [Fact]
    public void Serialize_OfAPartitionWithoutAReassignment_WritesVersion0_AndWithOneVersion1()
    {
        var plain = new PartitionRecord(Guid.NewGuid(), 0, [1, 2], [1, 2], 1, 0, 0);

        Assert.Equal([2, 0], MetadataRecordSerializer.Serialize(plain)[..2]);
        Assert.Equal([2, 1], MetadataRecordSerializer.Serialize(plain with { AddingReplicas = [3], Replicas = [1, 2, 3] })[..2]);
    }

    [Fact]
    public void Deserialize_OfVersion1OfATypeWithoutIt_Throws()
    {
        Assert.Throws<InvalidDataException>(() => MetadataRecordSerializer.Deserialize([1, 1, 255, 255, 255, 255, .. new byte[16]]));
    }

    [Fact]
    public void Uuid_IsWrittenMostSignificantByteFirst_AsKafka()
    {
        var id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

        var bytes = MetadataRecordSerializer.Serialize(new RemoveTopicRecord(id));

        Assert.Equal(Convert.FromHexString("00112233445566778899aabbccddeeff"), bytes[2..]);
    }
}
