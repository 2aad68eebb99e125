using Wharf.Coordinator.Group;

namespace Wharf.Coordinator.Tests;

/// <summary>The __consumer_offsets record schemas are Kafka's, byte for byte.</summary>
public class OffsetsTopicRecordsTests
{
    [Fact]
    public void OffsetCommitKey_IsKafkasVersionOneLayout()
    {
        var key = OffsetsTopicRecords.OffsetCommitKey("g", "t", 5);
        Assert.Equal(new byte[] { 0, 1, 0, 1, (byte)'g', 0, 1, (byte)'t', 0, 0, 0, 5 }, key);
        Assert.Equal(new OffsetsTopicRecords.OffsetKey("g", "t", 5), OffsetsTopicRecords.ReadKey(key));
    }

    [Fact]
    public void GroupMetadataKey_IsKafkasVersionTwoLayout()
    {
        var key = OffsetsTopicRecords.GroupMetadataKey("g");
        Assert.Equal(new byte[] { 0, 2, 0, 1, (byte)'g' }, key);
        Assert.Equal(new OffsetsTopicRecords.GroupKey("g"), OffsetsTopicRecords.ReadKey(key));
    }

    [Fact]
    public void OffsetCommitValue_RoundTrips_AndReadsOlderVersions()
    {
        var value = new CommittedOffset(42, 7, "meta", 1_700_000_000_000);
        Assert.Equal(value, OffsetsTopicRecords.ReadOffsetCommitValue(OffsetsTopicRecords.OffsetCommitValue(value)));

        // v1: offset, metadata, commit timestamp, expire timestamp (no leader epoch)
        byte[] v1 = [0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 200];
        Assert.Equal(new CommittedOffset(9, -1, "", 100), OffsetsTopicRecords.ReadOffsetCommitValue(v1));
    }

    [Fact]
    public void GroupMetadataValue_RoundTripsMembersWithInstanceIdsAndAssignments()
    {
        var snapshot = new GroupSnapshot("consumer", 3, "range", "m1", 1234, [
            new MemberSnapshot("m1", "i1", "c1", "/127.0.0.1", 30_000, 10_000, [1, 2], [3]),
            new MemberSnapshot("m2", null, "c2", "/127.0.0.2", 30_000, 10_000, [], []),
        ]);
        var read = OffsetsTopicRecords.ReadGroupMetadataValue(OffsetsTopicRecords.GroupMetadataValue(snapshot));
        Assert.Equal(snapshot with { Members = [] }, read with { Members = [] });
        Assert.Equal(2, read.Members.Count);
        Assert.Equal("i1", read.Members[0].GroupInstanceId);
        Assert.Equal([1, 2], read.Members[0].Subscription);
        Assert.Equal([3], read.Members[0].Assignment);
        Assert.Null(read.Members[1].GroupInstanceId);
    }

    [Fact]
    public void TruncatedValues_AreFormatErrors()
    {
        var bytes = OffsetsTopicRecords.OffsetCommitValue(new CommittedOffset(1, 1, "x", 1));
        Assert.Throws<FormatException>(() => OffsetsTopicRecords.ReadOffsetCommitValue(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Null(OffsetsTopicRecords.ReadKey([0, 9, 0, 0]));
    }
}
