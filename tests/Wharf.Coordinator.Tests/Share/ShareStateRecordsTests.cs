using Wharf.Coordinator.Share;

namespace Wharf.Coordinator.Tests.Share;

/// <summary>The key/value codec of <c>__share_group_state</c>.</summary>
public class ShareStateRecordsTests
{
    private static readonly ShareKey SomeKey = new("grüppe", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), 7);

    private static readonly ShareSnapshot SomeSnapshot = new(
        StateEpoch: 3,
        LeaderEpoch: 12,
        StartOffset: 1L << 40,
        Batches:
        [
            new StateBatch((1L << 40) + 0, (1L << 40) + 4, RecordState.Available, 2),
            new StateBatch((1L << 40) + 5, (1L << 40) + 5, RecordState.Acknowledged, 1),
            new StateBatch((1L << 40) + 9, (1L << 40) + 20, RecordState.Archived, short.MaxValue),
        ]);

    [Fact]
    public void Key_HasTheDocumentedLayout()
    {
        var key = ShareStateRecords.Key(new ShareKey("g", SomeKey.TopicId, 0x01020304));

        byte[] expected =
        [
            0, 0, // version
            0, 1, (byte)'g', // group
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, // topic id, RFC 4122 order
            1, 2, 3, 4, // partition
        ];
        Assert.Equal(expected, key);
    }

    [Fact]
    public void Key_RoundTrips()
    {
        Assert.Equal(SomeKey, ShareStateRecords.ReadKey(ShareStateRecords.Key(SomeKey)));
        var empty = new ShareKey("", Guid.Empty, 0);
        Assert.Equal(empty, ShareStateRecords.ReadKey(ShareStateRecords.Key(empty)));
    }

    [Fact]
    public void Value_RoundTrips()
    {
        var read = ShareStateRecords.ReadValue(ShareStateRecords.Value(SomeSnapshot));

        Assert.Equal((SomeSnapshot.StateEpoch, SomeSnapshot.LeaderEpoch, SomeSnapshot.StartOffset), (read.StateEpoch, read.LeaderEpoch, read.StartOffset));
        Assert.Equal(SomeSnapshot.Batches, read.Batches);
    }

    [Fact]
    public void Value_WithoutBatches_RoundTrips()
    {
        var read = ShareStateRecords.ReadValue(ShareStateRecords.Value(new ShareSnapshot(0, -1, 5, [])));

        Assert.Equal((0, -1, 5L), (read.StateEpoch, read.LeaderEpoch, read.StartOffset));
        Assert.Empty(read.Batches);
    }

    [Fact]
    public void ReadKey_OfEveryTruncationOrWithExtraBytes_IsFormatException()
    {
        var key = ShareStateRecords.Key(SomeKey);
        for (var length = 0; length < key.Length; length++)
        {
            Assert.Throws<FormatException>(() => ShareStateRecords.ReadKey(key.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => ShareStateRecords.ReadKey([.. key, 0]));
    }

    [Fact]
    public void ReadValue_OfEveryTruncationOrWithExtraBytes_IsFormatException()
    {
        var value = ShareStateRecords.Value(SomeSnapshot);
        for (var length = 0; length < value.Length; length++)
        {
            Assert.Throws<FormatException>(() => ShareStateRecords.ReadValue(value.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => ShareStateRecords.ReadValue([.. value, 0]));
    }

    [Fact]
    public void ReadValue_WithANegativeBatchCount_IsFormatException()
    {
        var value = ShareStateRecords.Value(new ShareSnapshot(0, 0, 0, []));
        value[18] = 0xff; // batch_count int32 at 18: -16777216

        Assert.Throws<FormatException>(() => ShareStateRecords.ReadValue(value));
    }

    [Theory]
    [InlineData((short)1)]
    [InlineData((short)-1)]
    public void KeyOrValue_OfAnUnknownVersion_IsFormatException(short version)
    {
        var key = ShareStateRecords.Key(SomeKey);
        var value = ShareStateRecords.Value(SomeSnapshot);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(key, version);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(value, version);

        Assert.Throws<FormatException>(() => ShareStateRecords.ReadKey(key));
        Assert.Throws<FormatException>(() => ShareStateRecords.ReadValue(value));
    }

    [Fact]
    public void ShareKey_ToString_IsKafkasCoordinatorKey()
    {
        Assert.Equal("grüppe:00112233-4455-6677-8899-aabbccddeeff:7", SomeKey.ToString());
    }
}
