using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage.Tests;

/// <summary>The topic keys that act inside the log: each test fails when the log stops reading its setting.</summary>
public sealed class LogConfigEffectTests
{
    [Fact]
    public void FileDeleteDelayMs_KeepsARemovedSegmentsFilesUntilTheDelayHasPassed()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000 });
        harness.Config = harness.Config with { FileDeleteDelayMs = 60_000 };
        using var log = harness.Open();
        var random = new Random(1);
        for (var i = 0; i < 4; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        harness.Time.Advance(TimeSpan.FromDays(15));
        log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        Assert.True(log.DeleteOldSegments() > 0);
        Assert.NotEmpty(Directory.EnumerateFiles(harness.Directory, "*.deleted"));

        harness.Time.Advance(TimeSpan.FromSeconds(59));
        log.DeleteOldSegments();
        Assert.NotEmpty(Directory.EnumerateFiles(harness.Directory, "*.deleted"));

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        log.DeleteOldSegments();
        Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.deleted"));
    }

    [Fact]
    public void SegmentJitterMs_RollsTheSegmentEarlierBySomethingBelowTheJitter()
    {
        var config = new LogConfig { FlushMode = LogFlushMode.Interval, SegmentMs = 60_000, SegmentJitterMs = 30_000 };
        using var harness = new LogHarness(config);
        using var log = harness.Open();
        var jitter = log.RollJitterMs(log.Config, 0);
        Assert.InRange(jitter, 1, 29_999); // this partition and base offset get a jitter the test can see
        var random = new Random(2);
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);

        harness.Time.Advance(TimeSpan.FromMilliseconds(60_000 - jitter - 1));
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);
        Assert.Equal(1, log.SegmentCount);

        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);
        Assert.Equal([0L, 2L], log.SegmentBaseOffsets);
    }

    [Fact]
    public void SegmentJitter_DiffersBetweenSegmentsAndStaysBelowSegmentMs()
    {
        using var harness = new LogHarness(new LogConfig { SegmentMs = 1000, SegmentJitterMs = 1_000_000 });
        using var log = harness.Open();

        var jitters = Enumerable.Range(0, 50).Select(i => log.RollJitterMs(log.Config, i * 100L)).ToList();

        Assert.All(jitters, j => Assert.InRange(j, 0, 999));
        Assert.True(jitters.Distinct().Count() > 25);
        Assert.Equal(0, log.RollJitterMs(log.Config with { SegmentJitterMs = 0 }, 100));
    }

    [Fact]
    public void SegmentIndexBytes_WhenTheOffsetIndexIsFull_RollsTheSegment()
    {
        // Interval 0: an index entry for every batch after the first; three offset index entries fit in 31 bytes.
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, IndexIntervalBytes = 0, SegmentIndexBytes = 3 * 8 + 7 });
        using var log = harness.Open();
        var random = new Random(3);
        for (var i = 0; i < 6; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);
        }

        Assert.Equal([0L, 4L], log.SegmentBaseOffsets);
    }

    [Fact]
    public void Compression_WithACodec_StoresClientBatchesInThatCodec_WithTheirRecordsAndProducerFields()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, Compression = CompressionType.Zstd });
        using var log = harness.Open();
        var builder = new RecordBatchBuilder(CompressionType.Gzip) { ProducerId = 7, ProducerEpoch = 2, BaseSequence = 0 };
        for (var i = 0; i < 5; i++)
        {
            builder.Append(harness.NowMs + i, System.Text.Encoding.UTF8.GetBytes($"k{i}"), System.Text.Encoding.UTF8.GetBytes($"v{i}"));
        }

        log.AppendAsLeader(Batches.Values(2, 10, harness.NowMs, new Random(4)), 0);
        var info = log.AppendAsLeader(builder.ToArray(), 0);

        var (header, bytes) = LogHarness.ReadAll(log)[1];
        Assert.Equal(CompressionType.Zstd, header.Compression);
        Assert.Equal((7L, (short)2, 0), (header.ProducerId, header.ProducerEpoch, header.BaseSequence));
        Assert.Equal(2, info.FirstOffset);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (2L + i, (string?)$"k{i}", (string?)$"v{i}")), Batches.Records(bytes).Select(r => (r.Offset, r.Key, r.Value)));
        Assert.Equal(CompressionType.Zstd, LogHarness.ReadAll(log)[0].Header.Compression);
    }

    [Fact]
    public void Compression_Producer_KeepsTheBatchAsSent()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval });
        using var log = harness.Open();
        var batch = new RecordBatchBuilder(CompressionType.Gzip).Append(harness.NowMs, null, new byte[100]).ToArray();

        log.AppendAsLeader(batch, 0);

        Assert.Equal(CompressionType.Gzip, LogHarness.ReadAll(log)[0].Header.Compression);
    }

    [Fact]
    public void Compression_NeverRebuildsCoordinatorBatches()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, Compression = CompressionType.Lz4 });
        using var log = harness.Open();

        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, new Random(5)), 0, AppendOrigin.Coordinator);

        Assert.Equal(CompressionType.None, LogHarness.ReadAll(log)[0].Header.Compression);
    }

    [Fact]
    public void TimestampBounds_RefuseACreateTimeRecordTooFarInThePastOrFuture_AndNothingIsWritten()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, MessageTimestampBeforeMaxMs = 60_000, MessageTimestampAfterMaxMs = 1_000 });
        using var log = harness.Open();
        var random = new Random(6);

        var past = Assert.Throws<LogException>(() => log.AppendAsLeader(Batches.Values(3, 10, harness.NowMs - 60_001, random), 0));
        var future = Assert.Throws<LogException>(() => log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs + 1_001, random), 0));
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs - 60_000, random), 0);
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs + 1_000, random), 0);

        Assert.Equal(ErrorCode.InvalidTimestamp, past.ErrorCode);
        Assert.Equal(ErrorCode.InvalidTimestamp, future.ErrorCode);
        Assert.Equal(2, log.LogEndOffset);
    }

    [Fact]
    public void TimestampBounds_DoNotApplyToLogAppendTimeTopics()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, MessageTimestampBeforeMaxMs = 1, MessageTimestampType = TimestampType.LogAppendTime });
        using var log = harness.Open();

        log.AppendAsLeader(Batches.Values(1, 10, 0, new Random(7)), 0);

        Assert.Equal(1, log.LogEndOffset);
    }
}
