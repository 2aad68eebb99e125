using Microsoft.Extensions.Time.Testing;
using Wharf.Common;

namespace Wharf.Storage.Tests;

/// <summary>
/// Removal once consumed (<c>retention.consumed.groups</c>): the retention pass also deletes closed segments that lie
/// wholly below the consumed offset it is given, within the same bounds as every other rule.
/// </summary>
public sealed class ConsumedRetentionTests
{
    /// <summary>Two 400-byte batches fill a 1000-byte segment: eight batches give segments 0, 2, 4 and the active one at 6.</summary>
    private static LogConfig FourSegments => new() { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000, RetentionMs = -1 };

    private static Log OpenWithEightBatches(LogHarness harness, int seed)
    {
        var log = harness.Open();
        var random = new Random(seed);
        for (var i = 0; i < 8; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        Assert.Equal([0L, 2L, 4L, 6L], log.SegmentBaseOffsets);
        return log;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 4)]
    [InlineData(5, 4)]
    [InlineData(6, 6)]
    public void Retention_ByConsumedOffset_DeletesOnlySegmentsWhollyBelowIt(long consumedOffset, long expectedLogStart)
    {
        using var harness = new LogHarness(FourSegments);
        using var log = OpenWithEightBatches(harness, 700);

        var deleted = log.DeleteOldSegments(consumedOffset: consumedOffset);

        Assert.Equal(expectedLogStart / 2, deleted);
        Assert.Equal(expectedLogStart, log.LogStartOffset);
        Assert.Equal(expectedLogStart, log.SegmentBaseOffsets[0]);
        Assert.Equal(expectedLogStart, LogHarness.ReadAll(log)[0].Header.BaseOffset);
        Assert.Equal(8, log.LogEndOffset);
    }

    [Fact]
    public void Retention_ByConsumedOffset_NeverDeletesTheActiveSegment()
    {
        using var harness = new LogHarness(FourSegments);
        using var log = OpenWithEightBatches(harness, 701);

        Assert.Equal(3, log.DeleteOldSegments(consumedOffset: long.MaxValue));

        Assert.Equal([6L], log.SegmentBaseOffsets);
        Assert.Equal(6, log.LogStartOffset);
        Assert.Equal([6L, 7L], LogHarness.ReadAll(log).Select(b => b.Header.BaseOffset));
        Assert.Equal(0, log.DeleteOldSegments(consumedOffset: long.MaxValue));
    }

    [Fact]
    public void Retention_ByConsumedOffset_NeverDeletesAtOrAboveTheHighWatermark()
    {
        using var harness = new LogHarness(FourSegments);
        using var log = OpenWithEightBatches(harness, 702);

        Assert.Equal(1, log.DeleteOldSegments(maxOffsetExclusive: 3, consumedOffset: 8));

        Assert.Equal(2, log.LogStartOffset);
    }

    [Fact]
    public void Retention_WithoutAConsumedOffset_DeletesNothingByThatRule()
    {
        using var harness = new LogHarness(FourSegments);
        using var log = OpenWithEightBatches(harness, 703);

        Assert.Equal(0, log.DeleteOldSegments(consumedOffset: null));
        Assert.Equal(0, log.DeleteOldSegments());

        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal([0L, 2L, 4L, 6L], log.SegmentBaseOffsets);
    }

    [Fact]
    public void Retention_ByConsumedOffset_DoesNotApplyUnderCompactOnly()
    {
        using var harness = new LogHarness(FourSegments with { CleanupPolicy = CleanupPolicy.Compact });
        using var log = OpenWithEightBatches(harness, 704);

        Assert.Equal(0, log.DeleteOldSegments(consumedOffset: 8));
        Assert.Equal(0, log.LogStartOffset);
    }

    [Fact]
    public void Retention_ByTime_IsUnaffectedByALowOrMissingConsumedOffset()
    {
        foreach (var consumedOffset in new long?[] { null, 0, 1 })
        {
            using var harness = new LogHarness(FourSegments with { RetentionMs = LogConfig.Day });
            using var log = OpenWithEightBatches(harness, 705);
            harness.Time.Advance(TimeSpan.FromDays(2));

            // Time retention rolls the expired active segment and deletes all four: consumption cannot keep data.
            Assert.Equal(4, log.DeleteOldSegments(consumedOffset: consumedOffset));
            Assert.Equal(8, log.LogStartOffset);
        }
    }

    [Fact]
    public void Retention_BySize_IsUnaffectedByALowOrMissingConsumedOffset()
    {
        foreach (var consumedOffset in new long?[] { null, 0 })
        {
            using var harness = new LogHarness(FourSegments with { RetentionBytes = 1500 });
            using var log = OpenWithEightBatches(harness, 706);

            Assert.Equal(2, log.DeleteOldSegments(consumedOffset: consumedOffset));
            Assert.Equal(4, log.LogStartOffset);
        }
    }

    [Fact]
    public void Retention_ByConsumedOffset_AddsToSizeRetention()
    {
        using var harness = new LogHarness(FourSegments with { RetentionBytes = 2500 });
        using var log = OpenWithEightBatches(harness, 707);

        // Size alone deletes one segment (three remain, under 2500 bytes after it); the consumed offset takes a second.
        Assert.Equal(2, log.DeleteOldSegments(consumedOffset: 4));
        Assert.Equal(4, log.LogStartOffset);
    }

    [Fact]
    public void RunRetention_GivesEachLogItsOwnConsumedOffset()
    {
        using var temp = new TempDirectory();
        var consumed = new Dictionary<TopicPartition, long?> { [new("queue", 0)] = 4, [new("queue", 1)] = null };
        using var manager = LogManager.Open(new LogManagerOptions
        {
            DataDirectory = temp.Path,
            DefaultConfig = FourSegments with { FileDeleteDelayMs = 0 },
            Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            EnableBackgroundTasks = false,
            ConsumedOffset = partition => consumed.GetValueOrDefault(partition),
        });
        var random = new Random(708);
        var logs = new[] { manager.GetOrCreateLog(new("queue", 0)), manager.GetOrCreateLog(new("queue", 1)), manager.GetOrCreateLog(new("other", 0)) };
        foreach (var log in logs)
        {
            for (var i = 0; i < 8; i++)
            {
                log.AppendAsLeader(Batches.Values(1, 400, 1, random), 0);
            }
        }

        Assert.Equal(2, manager.RunRetention());

        Assert.Equal([4L, 0L, 0L], logs.Select(l => l.LogStartOffset));
    }
}
