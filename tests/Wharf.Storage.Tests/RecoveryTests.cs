using Wharf.Records;

namespace Wharf.Storage.Tests;

/// <summary>
/// The crash-recovery family: each scenario writes fsync'd data, simulates kill -9, damages the files the way a
/// crash or the disk can, reopens without a clean shutdown and checks that nothing fsync'd is lost and nothing
/// invalid is returned. Each runs across index-interval and segment-size permutations.
/// </summary>
public sealed class RecoveryTests
{
    public static TheoryData<int, int> Permutations => new()
    {
        { 0, 1 << 30 },
        { 4096, 1 << 30 },
        { 100, 3000 },
    };

    /// <summary>Appends 30 batches, flushes them all, and returns the log and its durable batches.</summary>
    private static (Log Log, List<byte[]> Durable) WriteDurable(LogHarness harness, int seed, int count = 30)
    {
        var log = harness.Open();
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            log.AppendAsLeader(Batches.Values(random.Next(1, 5), random.Next(10, 300), 1000 + i, random), 1);
        }

        log.Flush();
        Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
        return (log, [.. LogHarness.ReadAll(log).Select(b => b.Bytes)]);
    }

    private static LogHarness Harness(int indexInterval, int segmentBytes) =>
        new(new LogConfig { FlushMode = LogFlushMode.Interval, IndexIntervalBytes = indexInterval, SegmentBytes = segmentBytes });

    private static string ActiveSegment(LogHarness harness, Log log) => harness.SegmentFile(log.SegmentBaseOffsets[^1]);

    private static void AssertRecovered(Log recovered, List<byte[]> durable)
    {
        var batches = LogHarness.ReadAll(recovered).Select(b => b.Bytes).ToList();
        Assert.Equal(durable, batches);
        Assert.Equal(Batches.Parse(batches.SelectMany(b => b).ToArray())[^1].Header.NextOffset, recovered.LogEndOffset);
        Assert.Equal(recovered.LogEndOffset, recovered.RecoveryPoint);
    }

    [Fact]
    public async Task Recover_ThenAppendInAckMode_FsyncsTheRecoveredSegmentAgain()
    {
        // Recovery fsyncs the segments it verified; that must not mark the active segment durable for ever: appends
        // after it are acknowledged under log.flush.mode=ack only once fsync'd (found by the cluster simulation, where
        // a restarted follower reported offsets whose bytes a second power cut then took back).
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Ack });
        var random = new Random(19);
        var log = harness.Open();
        await log.AppendAsLeader(Batches.Values(2, 10, harness.NowMs, random), 1).Durable;
        log.Dispose();
        using var recovered = harness.Open(new LogLoadOptions(HadCleanShutdown: false, RecoveryPoint: 0));
        var before = harness.Fsyncs;

        await recovered.AppendAsLeader(Batches.Values(3, 10, harness.NowMs, random), 1).Durable;

        Assert.Equal(5, recovered.RecoveryPoint);
        Assert.Single(recovered.SegmentBaseOffsets);
        Assert.True(harness.Fsyncs > before, "the append after recovery was reported durable without an fsync");
    }

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Recover_AfterTornLastBatch_TruncatesToLastValidBatch(int indexInterval, int segmentBytes)
    {
        using var harness = Harness(indexInterval, segmentBytes);
        var (log, durable) = WriteDurable(harness, 100);
        var torn = Batches.Values(3, 200, 5000, new Random(101));
        log.AppendAsLeader(torn, 1);
        var path = ActiveSegment(harness, log);
        var options = LogHarness.Crash(log);
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) - (torn.Length / 2));
        }

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
        recovered.AppendAsLeader(Batches.Values(1, 10, 1, new Random(102)), 2);
        Assert.Equal(durable.Count + 1, LogHarness.ReadAll(recovered).Count);
    }

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Recover_After4KiBOfZerosAppended_TruncatesTheZeros(int indexInterval, int segmentBytes)
    {
        using var harness = Harness(indexInterval, segmentBytes);
        var (log, durable) = WriteDurable(harness, 110);
        var path = ActiveSegment(harness, log);
        var options = LogHarness.Crash(log);
        File.AppendAllBytes(path, new byte[4096]);

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
        Assert.Equal(recovered.Size, durable.Sum(b => b.Length));
    }

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Recover_After4KiBOfRandomBytesAppended_TruncatesTheGarbage(int indexInterval, int segmentBytes)
    {
        using var harness = Harness(indexInterval, segmentBytes);
        var (log, durable) = WriteDurable(harness, 120);
        var path = ActiveSegment(harness, log);
        var options = LogHarness.Crash(log);
        var garbage = new byte[4096];
        new Random(121).NextBytes(garbage);
        File.AppendAllBytes(path, garbage);

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
    }

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Recover_AfterBitFlipInAMiddleBatch_TruncatesAtThatBatch(int indexInterval, int segmentBytes)
    {
        using var harness = Harness(indexInterval, segmentBytes);
        var (log, durable) = WriteDurable(harness, 130);
        var segmentBase = log.SegmentBaseOffsets[^1];
        var path = harness.SegmentFile(segmentBase);
        var inSegment = LogHarness.ReadAll(log).Where(b => b.Header.BaseOffset >= segmentBase).ToList();
        Assert.True(inSegment.Count >= 3, "need a middle batch in the active segment");
        var victim = inSegment.Count / 2;
        var position = inSegment.Take(victim).Sum(b => (long)b.Bytes.Length) + RecordBatchLayout.RecordsOffset + 3;
        var options = LogHarness.Crash(log) with { RecoveryPoint = segmentBase };
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var one = new byte[1];
            RandomAccess.Read(file, one, position);
            one[0] ^= 0x10;
            RandomAccess.Write(file, one, position);
        }

        using var recovered = harness.Open(options);

        var expected = durable.Take(durable.Count - inSegment.Count + victim).ToList();
        Assert.Equal(expected, LogHarness.ReadAll(recovered).Select(b => b.Bytes));
        Assert.Equal(inSegment[victim].Header.BaseOffset, recovered.LogEndOffset);
    }

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Recover_WithMissingIndexFiles_RebuildsThemWithTheSameAnswers(int indexInterval, int segmentBytes)
    {
        using var harness = Harness(indexInterval, segmentBytes);
        var (log, durable) = WriteDurable(harness, 140);
        var lookup = log.FetchOffsetByTimestamp(1015);
        log.Dispose();
        foreach (var file in Directory.EnumerateFiles(harness.Directory, "*index"))
        {
            File.Delete(file);
        }

        using var recovered = harness.Open(new LogLoadOptions(HadCleanShutdown: true, RecoveryPoint: long.MaxValue));

        AssertRecovered(recovered, durable);
        Assert.Equal(lookup, recovered.FetchOffsetByTimestamp(1015));
    }

    [Theory]
    [InlineData(LogFileNames.IndexSuffix, "truncated")]
    [InlineData(LogFileNames.IndexSuffix, "garbage")]
    [InlineData(LogFileNames.TimeIndexSuffix, "truncated")]
    [InlineData(LogFileNames.TimeIndexSuffix, "garbage")]
    [InlineData(LogFileNames.IndexSuffix, "zeros")]
    public void Recover_WithDamagedIndexFiles_RebuildsThemWithTheSameAnswers(string suffix, string damage)
    {
        using var harness = Harness(64, 4000);
        var (log, durable) = WriteDurable(harness, 150);
        var lookups = Enumerable.Range(0, 40).Select(i => log.FetchOffsetByTimestamp(995 + i)).ToList();
        log.Dispose();
        var random = new Random(151);
        foreach (var file in Directory.EnumerateFiles(harness.Directory, "*" + suffix))
        {
            var bytes = File.ReadAllBytes(file);
            switch (damage)
            {
                case "truncated":
                    File.WriteAllBytes(file, bytes[..(bytes.Length / 2 + 3)]);
                    break;
                case "garbage":
                    random.NextBytes(bytes);
                    File.WriteAllBytes(file, bytes.Length == 0 ? new byte[24] : bytes);
                    break;
                default:
                    File.WriteAllBytes(file, new byte[Math.Max(bytes.Length, 16)]);
                    break;
            }
        }

        using var recovered = harness.Open(new LogLoadOptions(HadCleanShutdown: true, RecoveryPoint: long.MaxValue));

        AssertRecovered(recovered, durable);
        Assert.Equal(lookups, Enumerable.Range(0, 40).Select(i => recovered.FetchOffsetByTimestamp(995 + i)));
        for (var offset = 0L; offset < recovered.LogEndOffset; offset++)
        {
            var first = Batches.Parse(recovered.Read(offset, 1).Slice.ToArray())[0].Header;
            Assert.InRange(offset, first.BaseOffset, first.LastOffset);
        }
    }

    [Fact]
    public void Recover_WithMissingLeaderEpochCheckpoint_RebuildsItFromTheBatches()
    {
        using var harness = Harness(4096, 2000);
        var log = harness.Open();
        var random = new Random(160);
        for (var i = 0; i < 12; i++)
        {
            log.AppendAsLeader(Batches.Values(2, 100, i, random), i / 4);
        }

        var options = LogHarness.Crash(log);
        File.Delete(Path.Combine(harness.Directory, LogFileNames.LeaderEpochCheckpoint));

        using var recovered = harness.Open(options with { RecoveryPoint = 0 });

        Assert.Equal([new EpochEntry(0, 0), new EpochEntry(1, 8), new EpochEntry(2, 16)], recovered.LeaderEpochCache.Entries);
        Assert.True(File.Exists(Path.Combine(harness.Directory, LogFileNames.LeaderEpochCheckpoint)));
    }

    [Fact]
    public void Recover_WithCorruptLeaderEpochCheckpoint_RebuildsItFromTheBatches()
    {
        using var harness = Harness(4096, 1 << 30);
        var log = harness.Open();
        log.AppendAsLeader(Batches.Values(2, 10, 1, new Random(161)), 3);
        var options = LogHarness.Crash(log);
        File.WriteAllText(Path.Combine(harness.Directory, LogFileNames.LeaderEpochCheckpoint), "0\n5\n3 x\n");

        using var recovered = harness.Open(options);

        Assert.Equal([new EpochEntry(3, 0)], recovered.LeaderEpochCache.Entries);
    }

    [Fact]
    public void Recover_WithEpochsBeyondTheRecoveredEnd_CutsTheEpochCache()
    {
        using var harness = Harness(4096, 1 << 30);
        var (log, durable) = WriteDurable(harness, 170);
        var end = log.LogEndOffset;
        log.AppendAsLeader(Batches.Values(2, 10, 1, new Random(171)), 9);
        var path = ActiveSegment(harness, log);
        var options = LogHarness.Crash(log);
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) - 5);
        }

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
        Assert.Equal([new EpochEntry(1, 0)], recovered.LeaderEpochCache.Entries);
        Assert.Equal((1, end), recovered.LeaderEpochCache.EndOffsetFor(1, recovered.LogEndOffset));
    }

    [Fact]
    public void Recover_AfterCrashRightAfterARollCreatedTheNewSegment_KeepsEverything()
    {
        using var harness = Harness(100, 1500);
        var (log, durable) = WriteDurable(harness, 180);
        log.Roll();
        var newBase = log.SegmentBaseOffsets[^1];
        var previousBase = log.SegmentBaseOffsets[^2];
        var options = LogHarness.Crash(log);

        // The crash came before the old segment's index files reached the disk.
        File.Delete(harness.SegmentFile(previousBase, LogFileNames.IndexSuffix));
        File.Delete(harness.SegmentFile(previousBase, LogFileNames.TimeIndexSuffix));

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
        Assert.Equal(newBase, recovered.SegmentBaseOffsets[^1]);
        recovered.AppendAsLeader(Batches.Values(1, 10, 1, new Random(181)), 1);
        Assert.Equal(newBase, recovered.Read(newBase, 100).Slice.FirstOffset);
    }

    [Fact]
    public void Recover_AfterCrashBetweenRollSteps_RemovesOrphanIndexesAndEmptySegmentsStayValid()
    {
        using var harness = Harness(100, 1 << 30);
        var (log, durable) = WriteDurable(harness, 190);
        var end = log.LogEndOffset;
        var options = LogHarness.Crash(log);

        // Index files of a segment whose .log never got created, and an empty .log at the end offset.
        File.WriteAllBytes(harness.SegmentFile(end + 100, LogFileNames.IndexSuffix), new byte[8]);
        File.WriteAllBytes(harness.SegmentFile(end, LogFileNames.LogSuffix), []);

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
        Assert.False(File.Exists(harness.SegmentFile(end + 100, LogFileNames.IndexSuffix)));
        Assert.Equal(end, recovered.LogEndOffset);
        recovered.AppendAsLeader(Batches.Values(1, 10, 1, new Random(191)), 1);
        Assert.Equal(end + 1, recovered.LogEndOffset);
    }

    [Fact]
    public void Recover_WithLeftoverDeletedFiles_RemovesThemAndKeepsTheLog()
    {
        using var harness = Harness(100, 1500);
        var (log, durable) = WriteDurable(harness, 200);
        var first = log.SegmentBaseOffsets[0];
        var options = LogHarness.Crash(log);
        var stale = harness.SegmentFile(first) + LogFileNames.DeletedSuffix;
        File.Copy(harness.SegmentFile(first), stale);
        File.WriteAllBytes(Path.Combine(harness.Directory, LogFileNames.LeaderEpochCheckpoint + LogFileNames.TempSuffix), [1, 2, 3]);

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
        Assert.False(File.Exists(stale));
        Assert.Empty(Directory.EnumerateFiles(harness.Directory, "*.tmp"));
    }

    [Fact]
    public void Recover_WithoutARecoveryPoint_VerifiesEverySegmentAndKeepsThem()
    {
        using var harness = Harness(100, 1500);
        var (log, durable) = WriteDurable(harness, 210);
        var options = LogHarness.Crash(log) with { RecoveryPoint = 0 };

        using var recovered = harness.Open(options);

        AssertRecovered(recovered, durable);
    }

    [Fact]
    public void Recover_UnflushedAppendAfterDurableData_NeverReturnsInvalidBytes()
    {
        var seed = 220;
        for (var round = 0; round < 20; round++)
        {
            using var harness = Harness(round % 2 == 0 ? 0 : 200, 1 << 30);
            var (log, durable) = WriteDurable(harness, seed + round, count: 10);
            var random = new Random(seed + round);
            var path = ActiveSegment(harness, log);
            var durableInSegment = new FileInfo(path).Length;
            log.AppendAsLeader(Batches.Values(3, 300, 1, random), 1);
            Assert.Equal(path, ActiveSegment(harness, log));
            var options = LogHarness.Crash(log);
            var length = new FileInfo(path).Length;

            // Cut anywhere after the durable bytes, then maybe add junk.
            using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.SetLength(file, random.NextInt64(durableInSegment, length + 1));
            }

            if (random.Next(2) == 0)
            {
                var junk = new byte[random.Next(1, 5000)];
                random.NextBytes(junk);
                File.AppendAllBytes(path, junk);
            }

            using var recovered = harness.Open(options);
            var batches = LogHarness.ReadAll(recovered).Select(b => b.Bytes).ToList();
            Assert.True(batches.Count >= durable.Count, $"seed {seed + round}: lost fsync'd batches");
            Assert.Equal(durable, batches.Take(durable.Count));
        }
    }
}
