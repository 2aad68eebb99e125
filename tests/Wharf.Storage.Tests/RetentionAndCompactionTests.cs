namespace Wharf.Storage.Tests;

public sealed class RetentionAndCompactionTests
{
    [Fact]
    public void Retention_AfterTheClockJumps15Days_DeletesOnlyExpiredSegmentsAndMovesTheLogStart()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000 });
        using var log = harness.Open();
        var random = new Random(300);
        for (var i = 0; i < 6; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        Assert.Equal(0, log.DeleteOldSegments());
        harness.Time.Advance(TimeSpan.FromDays(15));
        for (var i = 0; i < 2; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        var deleted = log.DeleteOldSegments();

        Assert.Equal(3, deleted);
        Assert.Equal(6, log.LogStartOffset);
        Assert.Equal([6L, 7L], LogHarness.ReadAll(log).Select(b => b.Header.BaseOffset));
        Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.deleted"));
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(5, 100));
    }

    [Fact]
    public void Retention_WhenTheActiveSegmentExpired_RollsAndDeletesIt()
    {
        using var harness = new LogHarness();
        using var log = harness.Open();
        log.AppendAsLeader(Batches.Values(3, 10, harness.NowMs, new Random(301)), 0);
        harness.Time.Advance(TimeSpan.FromDays(15));

        Assert.Equal(1, log.DeleteOldSegments());
        Assert.Equal(3, log.LogStartOffset);
        Assert.Equal(3, log.LogEndOffset);
    }

    [Fact]
    public void Retention_ByBytes_KeepsThePartitionUnderTheLimit()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000, RetentionBytes = 2500 });
        using var log = harness.Open();
        var random = new Random(302);
        for (var i = 0; i < 12; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        log.DeleteOldSegments();

        Assert.True(log.Size < 2500 + 1000, $"size {log.Size}");
        Assert.True(log.Size >= 2500 - 1000);
        Assert.Equal(log.SegmentBaseOffsets[0], log.LogStartOffset);
    }

    [Fact]
    public void Retention_NeverDeletesAtOrAboveTheHighWatermark()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000 });
        using var log = harness.Open();
        var random = new Random(303);
        for (var i = 0; i < 6; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        harness.Time.Advance(TimeSpan.FromDays(15));

        Assert.Equal(1, log.DeleteOldSegments(maxOffsetExclusive: 3));
        Assert.Equal(2, log.LogStartOffset);
    }

    [Fact]
    public void Retention_AfterDeleteRecords_RemovesSegmentsBelowTheLogStart()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000, RetentionMs = -1 });
        using var log = harness.Open();
        var random = new Random(304);
        for (var i = 0; i < 6; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, harness.NowMs, random), 0);
        }

        log.IncrementLogStartOffset(5);

        Assert.Equal(2, log.DeleteOldSegments());
        Assert.Equal(5, log.LogStartOffset);
        Assert.Equal(5, log.Read(5, 1).Slice.FirstOffset);
        Assert.Equal(4, log.SegmentBaseOffsets[0]);
    }

    private static LogConfig Compacted => new()
    {
        FlushMode = LogFlushMode.Interval,
        CleanupPolicy = CleanupPolicy.Compact,
        SegmentBytes = 300,
        DeleteRetentionMs = LogConfig.Day,
    };

    [Fact]
    public void Compaction_KeepsTheNewestRecordPerKeyAndPreservesOffsets()
    {
        using var harness = new LogHarness(Compacted);
        using var log = harness.Open();
        var now = harness.NowMs;
        string[] keys = ["a", "b", "a", "c", "b", "a", "d", "c"];
        for (var i = 0; i < keys.Length; i++)
        {
            log.AppendAsLeader(Batches.Keyed(keys[i], $"v{i}", now), 0);
        }

        log.AppendAsLeader(Batches.Keyed("z", "active", now), 0);
        log.Roll();
        var stats = new LogCleaner(harness.Environment).Clean(log);

        var records = LogHarness.ReadAll(log).SelectMany(b => Batches.Records(b.Bytes)).ToList();
        Assert.Equal([(4L, "b", "v4"), (5L, "a", "v5"), (6L, "d", "v6"), (7L, "c", "v7"), (8L, "z", "active")], records.Select(r => (r.Offset, r.Key, r.Value)));
        Assert.True(stats.SegmentsCleaned > 0);
        Assert.Equal(4, stats.RecordsRemoved);
        Assert.Equal(9, log.LogEndOffset);
        Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.cleaned"));
        Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.swap"));
        Assert.Equal(4, log.Read(2, 1).Slice.FirstOffset);
    }

    [Fact]
    public void Compaction_RemovesTombstonesOnlyAfterDeleteRetentionMs()
    {
        using var harness = new LogHarness(Compacted);
        using var log = harness.Open();
        log.AppendAsLeader(Batches.Keyed("a", "v0", harness.NowMs), 0);
        log.AppendAsLeader(Batches.Keyed("b", "v1", harness.NowMs), 0);
        log.AppendAsLeader(Batches.Keyed("a", null, harness.NowMs), 0);
        log.AppendAsLeader(Batches.Keyed("c", "v3", harness.NowMs), 0);
        log.Roll();
        var cleaner = new LogCleaner(harness.Environment);

        cleaner.Clean(log);
        var afterFirst = LogHarness.ReadAll(log).SelectMany(b => Batches.Records(b.Bytes)).Select(r => (r.Key, r.Value)).ToList();
        Assert.Equal([("b", "v1"), ("a", null), ("c", "v3")], afterFirst);

        harness.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        cleaner.Clean(log);
        var afterSecond = LogHarness.ReadAll(log).SelectMany(b => Batches.Records(b.Bytes)).Select(r => (r.Key, r.Value)).ToList();
        Assert.Equal([("b", "v1"), ("c", "v3")], afterSecond);
    }

    [Fact]
    public void Compaction_ShrinksMultiRecordBatchesAndLeavesControlBatchesAlone()
    {
        using var harness = new LogHarness(Compacted with { SegmentBytes = 10_000 });
        using var log = harness.Open();
        var now = harness.NowMs;
        log.AppendAsLeader(Batches.Build([
            new TestRecord("k1"u8.ToArray(), "old1"u8.ToArray(), now),
            new TestRecord("k2"u8.ToArray(), "keep2"u8.ToArray(), now),
            new TestRecord("k1"u8.ToArray(), "new1"u8.ToArray(), now)]), 0);
        log.AppendAsLeader(Batches.Build([new TestRecord([0, 0, 0, 0], [0, 0, 0, 0, 0, 0], now)], control: true, transactional: true, producerId: 5), 0);
        log.Roll();

        new LogCleaner(harness.Environment).Clean(log);

        var batches = LogHarness.ReadAll(log);
        Assert.Equal(2, batches.Count);
        Assert.Equal(2, batches[0].Header.LastOffset);
        Assert.Equal(2, batches[0].Header.RecordCount);
        Assert.Equal([(1L, "k2", "keep2"), (2L, "k1", "new1")], Batches.Records(batches[0].Bytes).Select(r => (r.Offset, r.Key, r.Value)));
        Assert.True(batches[1].Header.IsControl);
    }

    [Fact]
    public void Recover_AfterCrashDuringCompactionSwap_EndsWithOldOrNewSegmentNeverAMix()
    {
        foreach (var stage in new[] { "cleaned", "swap-with-old", "swap-old-deleted" })
        {
            using var harness = new LogHarness(Compacted);
            var log = harness.Open();
            var now = harness.NowMs;
            foreach (var (key, i) in new[] { "a", "b", "a", "b" }.Select((k, i) => (k, i)))
            {
                log.AppendAsLeader(Batches.Keyed(key, $"v{i}", now), 0);
            }

            log.Roll();
            log.Flush();
            var before = LogHarness.ReadAll(log).SelectMany(b => Batches.Records(b.Bytes)).ToList();
            var cleanedCopy = harness.Temp.Combine("cleaned-result");

            // Produce a genuine cleaned result in a copy, to place it as a crash would have left it.
            using (var copyHarness = new LogHarness(Compacted))
            {
                CopyDirectory(harness.Directory, copyHarness.Directory);
                using var copy = copyHarness.Open(new LogLoadOptions(HadCleanShutdown: false, RecoveryPoint: 0));
                new LogCleaner(copyHarness.Environment).Clean(copy);
                copy.Dispose();
                File.Copy(copyHarness.SegmentFile(0), cleanedCopy);
            }

            var options = LogHarness.Crash(log);
            var segment = harness.SegmentFile(0);
            switch (stage)
            {
                case "cleaned":
                    File.Copy(cleanedCopy, segment + LogFileNames.CleanedSuffix);
                    break;
                case "swap-with-old":
                    File.Copy(cleanedCopy, segment + LogFileNames.SwapSuffix);
                    break;
                default:
                    File.Copy(cleanedCopy, segment + LogFileNames.SwapSuffix);
                    File.Move(segment, segment + LogFileNames.DeletedSuffix);
                    break;
            }

            using var recovered = harness.Open(options);
            var after = LogHarness.ReadAll(recovered).SelectMany(b => Batches.Records(b.Bytes)).ToList();
            if (stage == "cleaned")
            {
                Assert.Equal(before, after);
            }
            else
            {
                Assert.Equal([(2L, "a", "v2"), (3L, "b", "v3")], after.Select(r => (r.Offset, r.Key, r.Value)));
            }

            Assert.Equal(4, recovered.LogEndOffset);
            Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.swap"));
            Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.cleaned"));
            Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.deleted"));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
