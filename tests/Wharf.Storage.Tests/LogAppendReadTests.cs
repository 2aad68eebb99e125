using Wharf.Records;

namespace Wharf.Storage.Tests;

public sealed class LogAppendReadTests
{
    [Fact]
    public void Append_ThenRead_ReturnsTheBatchesWithAssignedOffsetsAndEpoch()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var random = new Random(1);
        var first = log.AppendAsLeader(Batches.Values(3, 10, 1000, random), leaderEpoch: 5);
        var second = log.AppendAsLeader(Batches.Values(2, 10, 2000, random), leaderEpoch: 5);

        Assert.Equal((0, 2), (first.FirstOffset, first.LastOffset));
        Assert.Equal((3, 4), (second.FirstOffset, second.LastOffset));
        Assert.Equal(5, log.LogEndOffset);
        var batches = LogHarness.ReadAll(log);
        Assert.Equal([0L, 3L], batches.Select(b => b.Header.BaseOffset));
        Assert.All(batches, b => Assert.Equal(5, b.Header.PartitionLeaderEpoch));
        Assert.Equal([new EpochEntry(5, 0)], log.LeaderEpochCache.Entries);
    }

    [Fact]
    public void Append_SeveralBatchesAtOnce_AssignsConsecutiveOffsets()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var random = new Random(2);
        var info = log.AppendAsLeader(Batches.Concat(Batches.Values(2, 5, 1, random), Batches.Values(4, 5, 2, random)), 0);

        Assert.Equal((0, 5, 2), (info.FirstOffset, info.LastOffset, info.BatchCount));
        Assert.Equal([0L, 2L], LogHarness.ReadAll(log).Select(b => b.Header.BaseOffset));
    }

    [Fact]
    public void Read_FromTheMiddleOfABatch_StartsWithTheBatchContainingTheOffset()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var random = new Random(3);
        log.AppendAsLeader(Batches.Values(5, 10, 1, random), 0);
        log.AppendAsLeader(Batches.Values(5, 10, 1, random), 0);

        var read = log.Read(7, 1 << 20);

        Assert.Equal(5, read.Slice.FirstOffset);
        Assert.Equal(10, read.Slice.NextOffset);
        Assert.Single(Batches.Parse(read.Slice.ToArray()));
    }

    [Fact]
    public void Read_WithMaxBytesSmallerThanABatch_ReturnsOneWholeBatch()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var random = new Random(4);
        log.AppendAsLeader(Batches.Values(10, 100, 1, random), 0);
        log.AppendAsLeader(Batches.Values(10, 100, 1, random), 0);

        var read = log.Read(0, 10);
        var batches = Batches.Parse(read.Slice.ToArray());

        Assert.Single(batches);
        Assert.Equal(0, batches[0].Header.BaseOffset);
        Assert.True(log.Read(0, 10, minOneBatch: false).Slice.IsEmpty);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(4096)]
    public void Read_AtEveryOffsetAndLimit_ReturnsWholeBatchesWithinTheLimit(int indexInterval)
    {
        var seed = 5 + indexInterval;
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, IndexIntervalBytes = indexInterval, SegmentBytes = 8_000 });
        using var log = harness.Open();
        var random = new Random(seed);
        for (var i = 0; i < 60; i++)
        {
            log.AppendAsLeader(Batches.Values(random.Next(1, 6), random.Next(1, 400), i, random), 0);
        }

        Assert.True(log.SegmentCount > 2, $"seed {seed}: expected several segments");
        for (var offset = 0L; offset < log.LogEndOffset; offset++)
        {
            var maxBytes = random.Next(1, 3000);
            var bytes = log.Read(offset, maxBytes).Slice.ToArray();
            var batches = Batches.Parse(bytes);
            Assert.True(batches[0].Header.BaseOffset <= offset && offset <= batches[0].Header.LastOffset, $"seed {seed}: offset {offset} not in first batch");
            Assert.True(batches.Count == 1 || bytes.Length <= maxBytes, $"seed {seed}: {bytes.Length} bytes > {maxBytes}");
        }
    }

    [Fact]
    public void Read_AtTheLogEnd_IsEmptyAndBeyondItThrows()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        log.AppendAsLeader(Batches.Values(2, 5, 1, new Random(6)), 0);

        Assert.True(log.Read(2, 100).Slice.IsEmpty);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(3, 100));
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(-1, 100));
    }

    [Fact]
    public void Read_WithAnUpperBound_ReturnsOnlyBatchesEndingAtOrBelowIt()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var random = new Random(7);
        log.AppendAsLeader(Batches.Values(3, 5, 1, random), 0);
        log.AppendAsLeader(Batches.Values(3, 5, 1, random), 0);

        var read = log.Read(0, 1 << 20, maxOffsetExclusive: 4);

        Assert.Equal(3, read.Slice.NextOffset);
        Assert.True(log.Read(3, 1 << 20, maxOffsetExclusive: 4).Slice.IsEmpty);
    }

    [Fact]
    public void Append_WhenSegmentIsFull_RollsANewSegment()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000 });
        using var log = harness.Open();
        var random = new Random(8);
        for (var i = 0; i < 10; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 300, i, random), 0);
        }

        Assert.Equal(5, log.SegmentCount);
        Assert.Equal([0L, 2L, 4L, 6L, 8L], log.SegmentBaseOffsets);
        Assert.True(File.Exists(harness.SegmentFile(8)));
        Assert.True(File.Exists(harness.SegmentFile(0, LogFileNames.IndexSuffix)), "a closed segment's index is written at roll");
        Assert.Equal(10, LogHarness.ReadAll(log).Count);
    }

    [Fact]
    public void Append_AfterSegmentMsHasPassed_RollsANewSegment()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentMs = 60_000 });
        using var log = harness.Open();
        var random = new Random(9);
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);
        harness.Time.Advance(TimeSpan.FromSeconds(59));
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);
        Assert.Equal(1, log.SegmentCount);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        log.AppendAsLeader(Batches.Values(1, 10, harness.NowMs, random), 0);

        Assert.Equal([0L, 2L], log.SegmentBaseOffsets);
    }

    [Fact]
    public void Append_WithABadCrc_IsRejectedAndNothingIsWritten()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var batch = Batches.Values(2, 10, 1, new Random(10));
        batch[^1] ^= 0x40;

        var error = Assert.Throws<InvalidRecordBatchException>(() => log.AppendAsLeader(batch, 0));

        Assert.Equal(RecordBatchError.CrcMismatch, error.Error);
        Assert.Equal(Wharf.Common.ErrorCode.CorruptMessage, error.ErrorCode);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.Size);
    }

    [Fact]
    public void Append_WithTrailingPartialBatch_IsRejected()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var bytes = Batches.Concat(Batches.Values(1, 10, 1, new Random(11)), new byte[20]);

        Assert.Throws<InvalidRecordBatchException>(() => log.AppendAsLeader(bytes, 0));
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void Append_BatchLargerThanMaxMessageBytes_IsRejected()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, MaxMessageBytes = 200 });
        using var log = harness.Open();

        var error = Assert.Throws<RecordTooLargeException>(() => log.AppendAsLeader(Batches.Values(1, 300, 1, new Random(12)), 0));

        Assert.Equal(Wharf.Common.ErrorCode.MessageTooLarge, error.ErrorCode);
    }

    [Fact]
    public void Append_ToALogAppendTimeTopic_StampsBrokerTimeWithAValidCrc()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, MessageTimestampType = TimestampType.LogAppendTime });
        using var log = harness.Open();

        var info = log.AppendAsLeader(Batches.Values(2, 10, 5, new Random(13)), 0);
        var batch = Batches.Parse(log.Read(0, 1000).Slice.ToArray())[0];

        Assert.Equal(harness.NowMs, info.LogAppendTime);
        Assert.Equal(TimestampType.LogAppendTime, batch.Header.TimestampType);
        Assert.Equal(harness.NowMs, batch.Header.MaxTimestamp);
    }

    [Fact]
    public void FetchOffsetByTimestamp_ReturnsTheFirstRecordAtOrAfterTheTimestamp()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, IndexIntervalBytes = 50, SegmentBytes = 2000 });
        using var log = harness.Open();
        var random = new Random(14);
        for (var i = 0; i < 50; i++)
        {
            // Records at timestamps 1000 + 10*i + {0,1,2}.
            log.AppendAsLeader(Batches.Values(3, 20, 1000 + (10 * i), random), 0);
        }

        Assert.True(log.SegmentCount > 1);
        Assert.Equal(new TimestampAndOffset(1000, 0, 0), log.FetchOffsetByTimestamp(0));
        Assert.Equal(new TimestampAndOffset(1250, 75, 0), log.FetchOffsetByTimestamp(1250));
        Assert.Equal(new TimestampAndOffset(1252, 77, 0), log.FetchOffsetByTimestamp(1252));
        Assert.Equal(new TimestampAndOffset(1260, 78, 0), log.FetchOffsetByTimestamp(1253));
        Assert.Null(log.FetchOffsetByTimestamp(5000));
        Assert.Equal(0, log.FetchOffsetByTimestamp(Log.EarliestTimestamp)!.Value.Offset);
        Assert.Equal(150, log.FetchOffsetByTimestamp(Log.LatestTimestamp)!.Value.Offset);
        Assert.Equal(new TimestampAndOffset(1492, 149, 0), log.FetchOffsetByTimestamp(Log.MaxTimestampQuery));
    }

    [Fact]
    public void Reopen_AfterCleanClose_GivesTheSameAnswers()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, IndexIntervalBytes = 64, SegmentBytes = 3000 });
        var random = new Random(15);
        List<byte[]> before;
        TimestampAndOffset? lookup;
        using (var log = harness.Open())
        {
            for (var i = 0; i < 40; i++)
            {
                log.AppendAsLeader(Batches.Values(2, 50, 100 * i, random), i / 10);
            }

            before = [.. LogHarness.ReadAll(log).Select(b => b.Bytes)];
            lookup = log.FetchOffsetByTimestamp(1234);
        }

        using var reopened = harness.Open(new LogLoadOptions(HadCleanShutdown: true, RecoveryPoint: 80));

        Assert.Equal(80, reopened.LogEndOffset);
        Assert.Equal(before, LogHarness.ReadAll(reopened).Select(b => b.Bytes));
        Assert.Equal(lookup, reopened.FetchOffsetByTimestamp(1234));
        Assert.Equal(4, reopened.LeaderEpochCache.Entries.Count);
        reopened.AppendAsLeader(Batches.Values(1, 5, 1, random), 4);
        Assert.Equal(81, reopened.LogEndOffset);
    }

    [Fact]
    public void TruncateTo_RemovesLaterBatchesSegmentsAndEpochs()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 500 });
        using var log = harness.Open();
        var random = new Random(16);
        for (var i = 0; i < 10; i++)
        {
            log.AppendAsLeader(Batches.Values(2, 100, i, random), i < 5 ? 1 : 2);
        }

        var end = log.TruncateTo(9);

        Assert.Equal(8, end);
        Assert.Equal(8, log.LogEndOffset);
        Assert.Equal([new EpochEntry(1, 0)], log.LeaderEpochCache.Entries);
        Assert.Equal(4, LogHarness.ReadAll(log).Count);
        log.AppendAsLeader(Batches.Values(1, 5, 1, random), 3);
        Assert.Equal(9, log.LogEndOffset);
        Assert.Equal((3, 9L), log.LeaderEpochCache.EndOffsetFor(3, log.LogEndOffset));
        Assert.Equal((1, 8L), log.LeaderEpochCache.EndOffsetFor(2, log.LogEndOffset));
    }

    [Fact]
    public void TruncateTo_MakesTheTruncationDurableBeforeTheEpochCheckpointRecordsIt()
    {
        // Otherwise a crash can bring the removed batches back under a checkpoint that no longer names their epoch: a
        // follower then cannot see that its log diverged from the leader's.
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval });
        var paths = new List<string>();
        var recording = false;
        var environment = new LogEnvironment(harness.Time, null, path =>
        {
            if (recording)
            {
                paths.Add(path);
            }
        });
        using var log = Log.Open(harness.Directory, LogHarness.Partition, harness.Config, environment);
        var random = new Random(20);
        log.AppendAsLeader(Batches.Values(2, 10, 1, random), 1);
        log.AppendAsLeader(Batches.Values(2, 10, 2, random), 2);
        recording = true;

        log.TruncateTo(2);

        Assert.Equal([new EpochEntry(1, 0)], log.LeaderEpochCache.Entries);
        var segment = paths.FindIndex(p => p.EndsWith(".log", StringComparison.Ordinal));
        var checkpoint = paths.FindIndex(p => p.Contains("leader-epoch-checkpoint", StringComparison.Ordinal));
        Assert.True(segment >= 0 && segment < checkpoint, $"fsyncs in order: {string.Join(", ", paths.Select(Path.GetFileName))}");
    }

    [Fact]
    public void TruncateTo_AtTheLogEnd_DropsAnEpochThatHoldsNoBatch()
    {
        // A broker led at epoch 2 without appending, then follows a leader that never had epoch 2: truncating to its own
        // end must forget epoch 2, or its fetches keep naming it and it never catches up.
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval });
        using var log = harness.Open();
        log.AppendAsLeader(Batches.Values(2, 10, 1, new Random(18)), 1);
        log.AssignLeaderEpochAtEnd(2);
        Assert.Equal(2, log.LeaderEpochCache.LatestEpoch);

        Assert.Equal(2, log.TruncateTo(2));

        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal([new EpochEntry(1, 0)], log.LeaderEpochCache.Entries);
    }

    [Fact]
    public void IncrementLogStartOffset_MovesOnlyForward()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        log.AppendAsLeader(Batches.Values(10, 5, 1, new Random(17)), 0);

        Assert.True(log.IncrementLogStartOffset(4));
        Assert.False(log.IncrementLogStartOffset(2));
        Assert.Equal(4, log.LogStartOffset);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(3, 100));
        Assert.Equal(0, log.Read(4, 100).Slice.FirstOffset);
        Assert.Throws<OffsetOutOfRangeException>(() => log.IncrementLogStartOffset(11));
    }

    [Fact]
    public void AppendAsFollower_KeepsTheLeadersOffsetsAndEpochs()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        var random = new Random(18);
        var batch = Batches.Values(3, 5, 1, random);
        RecordBatchHeader.StampOffsetAndEpoch(batch, 0, 7);
        var later = Batches.Values(2, 5, 1, random);
        RecordBatchHeader.StampOffsetAndEpoch(later, 10, 9);

        log.AppendAsFollower(Batches.Concat(batch, later));

        Assert.Equal(12, log.LogEndOffset);
        Assert.Equal([new EpochEntry(7, 0), new EpochEntry(9, 10)], log.LeaderEpochCache.Entries);
        Assert.Equal(10, log.Read(5, 1000).Slice.FirstOffset);
        Assert.Throws<InvalidRecordBatchException>(() => log.AppendAsFollower(Batches.Values(1, 5, 1, random)));
    }
}
