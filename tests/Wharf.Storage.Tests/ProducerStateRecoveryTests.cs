using Wharf.Common;

namespace Wharf.Storage.Tests;

/// <summary>
/// Producer state across stops: the <c>&lt;offset&gt;.snapshot</c> format, snapshots at roll and clean close, the
/// rebuild after kill -9 (newest usable snapshot + replay) and truncation. After every restart a retried batch must
/// still get its original offsets and a gap must still be refused.
/// </summary>
public sealed class ProducerStateRecoveryTests
{
    private const long ProducerId = 77;

    private static LogHarness Harness(int segmentBytes = 1 << 30) =>
        new(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = segmentBytes });

    /// <summary>Appends <paramref name="count"/> two-record batches for <see cref="ProducerId"/> from sequence 0.</summary>
    private static List<LogAppendInfo> Produce(Log log, int count, int firstBatch = 0, short epoch = 0)
    {
        var infos = new List<LogAppendInfo>();
        for (var i = firstBatch; i < firstBatch + count; i++)
        {
            infos.Add(log.AppendAsLeader(ProducerBatches.Build(ProducerId, epoch, i * 2, records: 2), 0));
        }

        return infos;
    }

    /// <summary>The retry of batch <paramref name="batch"/> is answered with <paramref name="original"/>'s offsets and appends nothing.</summary>
    private static void AssertDuplicate(Log log, int batch, LogAppendInfo original)
    {
        var end = log.LogEndOffset;
        var retry = log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, batch * 2, records: 2), 0);
        Assert.True(retry.IsDuplicate);
        Assert.Equal((original.FirstOffset, original.LastOffset), (retry.FirstOffset, retry.LastOffset));
        Assert.Equal(end, log.LogEndOffset);
    }

    [Fact]
    public void Snapshot_RoundTripsEveryField()
    {
        var a = new ProducerStateEntry(1, 3) { CoordinatorEpoch = 9, CurrentTxnFirstOffset = 40, LastUpdateMs = 123456 };
        for (var i = 0; i < 5; i++)
        {
            a.AddBatch(new ProducerBatchMetadata(i * 10, (i * 10) + 9, 100 + (i * 10), 109 + (i * 10), 5000 + i));
        }

        var b = new ProducerStateEntry(long.MaxValue, short.MaxValue);
        var bytes = ProducerStateSnapshot.Serialize([a, b]);

        Assert.True(ProducerStateSnapshot.TryDeserialize(bytes, out var read, out var problem), problem);
        Assert.Equal(2, read.Count);
        Assert.Equal((1L, (short)3, 9, 40L, 123456L), (read[0].ProducerId, read[0].ProducerEpoch, read[0].CoordinatorEpoch, read[0].CurrentTxnFirstOffset, read[0].LastUpdateMs));
        Assert.Equal(a.Batches, read[0].Batches);
        Assert.Equal((long.MaxValue, short.MaxValue, -1, -1L), (read[1].ProducerId, read[1].ProducerEpoch, read[1].CoordinatorEpoch, read[1].CurrentTxnFirstOffset));
        Assert.Empty(read[1].Batches);
    }

    [Fact]
    public void Snapshot_WithAFlippedBitOrCutShort_IsRejected()
    {
        var entry = new ProducerStateEntry(1, 0);
        entry.AddBatch(new ProducerBatchMetadata(0, 0, 0, 0, 0));
        var bytes = ProducerStateSnapshot.Serialize([entry]);
        for (var i = 0; i < bytes.Length; i++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[i] ^= 0x10;
            Assert.False(ProducerStateSnapshot.TryDeserialize(flipped, out _, out _), $"flip at byte {i} went unnoticed");
        }

        Assert.False(ProducerStateSnapshot.TryDeserialize(bytes.AsSpan(0, bytes.Length - 1), out _, out _));
        Assert.False(ProducerStateSnapshot.TryDeserialize([], out _, out _));
    }

    [Fact]
    public void Roll_WritesASnapshotAtTheNewSegmentsBaseOffset()
    {
        using var harness = Harness();
        using var log = harness.Open();
        Produce(log, 3);
        log.Roll();
        Assert.Equal([6L], log.ProducerState.SnapshotOffsets);
        Assert.True(File.Exists(Path.Combine(harness.Directory, "00000000000000000006.snapshot")));
    }

    [Fact]
    public void Roll_FsyncsNothingOnTheAppendPath_TheNextFlushFsyncsTheSnapshotAndTheDirectory()
    {
        var synced = new List<string>();
        using var temp = new TempDirectory();
        var environment = new LogEnvironment(fsyncObserver: path => { lock (synced) { synced.Add(path); } });
        var directory = temp.Combine("orders-0");
        using var log = Log.Open(directory, LogHarness.Partition, new LogConfig { FlushMode = LogFlushMode.Interval }, environment);
        Produce(log, 3);
        log.Flush();
        synced.Clear();

        log.Roll();

        Assert.True(synced.Count == 0, string.Join(", ", synced));
        log.Flush();
        var snapshot = Path.Combine(directory, "00000000000000000006.snapshot");
        Assert.Equal([snapshot, directory], synced);
        Assert.True(ProducerStateSnapshot.TryDeserialize(File.ReadAllBytes(snapshot), out var producers, out _));
        Assert.Equal(ProducerId, Assert.Single(producers).ProducerId);
    }

    [Fact]
    public void CleanClose_WritesASnapshotAtTheLogEnd_AndReopenKeepsDuplicateDetection()
    {
        using var harness = Harness();
        List<LogAppendInfo> originals;
        using (var log = harness.Open())
        {
            originals = Produce(log, 4);
        }

        using var reopened = harness.Open(new LogLoadOptions(HadCleanShutdown: true));
        Assert.Equal([8L], reopened.ProducerState.SnapshotOffsets);
        AssertDuplicate(reopened, 3, originals[3]);
        AssertDuplicate(reopened, 0, originals[0]);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Assert.Throws<ProducerStateException>(() => reopened.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 9), 0)).ErrorCode);
        reopened.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 8), 0);
    }

    [Theory]
    [InlineData(1 << 30)]
    [InlineData(300)]
    public void Recover_AfterKillNine_RebuildsFromSnapshotAndReplay_AndDuplicatesStillGetTheirOriginalOffsets(int segmentBytes)
    {
        using var harness = Harness(segmentBytes);
        var log = harness.Open();
        var originals = Produce(log, 12);
        log.Flush();
        var options = LogHarness.Crash(log);

        using var recovered = harness.Open(options);
        Assert.Equal(24, recovered.LogEndOffset);
        var entry = Assert.Single(recovered.ActiveProducers());
        Assert.Equal((23, 23L), (entry.LastSequence, entry.LastOffset));
        for (var i = 7; i < 12; i++)
        {
            AssertDuplicate(recovered, i, originals[i]);
        }

        Assert.Throws<ProducerStateException>(() => recovered.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 25), 0));
        Assert.Equal(24, recovered.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 24), 0).FirstOffset);
    }

    [Fact]
    public void Recover_WhenTheTailWasLost_DropsSnapshotsBeyondTheLogEnd()
    {
        using var harness = Harness();
        var log = harness.Open();
        var originals = Produce(log, 3);
        log.Flush();
        Produce(log, 2, firstBatch: 3);
        log.Roll();
        Assert.Equal([10L], log.ProducerState.SnapshotOffsets);
        var options = LogHarness.Crash(log);

        // The unflushed tail is lost: the segment is cut back to the three flushed batches.
        var first = harness.SegmentFile(0);
        using (var file = File.OpenHandle(first, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) * 3 / 5);
        }

        File.Delete(harness.SegmentFile(10));
        using var recovered = harness.Open(options);
        Assert.Equal(6, recovered.LogEndOffset);
        Assert.Empty(recovered.ProducerState.SnapshotOffsets);
        Assert.Equal(5, recovered.ActiveProducers()[0].LastSequence);
        AssertDuplicate(recovered, 2, originals[2]);

        // Batch 3 never survived: its retry is a new append at the new end.
        var retried = recovered.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 6, records: 2), 0);
        Assert.False(retried.IsDuplicate);
        Assert.Equal(6, retried.FirstOffset);
    }

    [Fact]
    public void Recover_WithACorruptSnapshot_DeletesIt_AndReplaysFromAnOlderOneOrTheLogStart()
    {
        using var harness = Harness();
        var log = harness.Open();
        Produce(log, 2);
        log.Roll();
        var originals = Produce(log, 2, firstBatch: 2);
        log.Roll();
        log.Flush();
        Assert.Equal([4L, 8L], log.ProducerState.SnapshotOffsets);
        var options = LogHarness.Crash(log);
        var newest = ProducerStateSnapshot.FileName(harness.Directory, 8);
        var bytes = File.ReadAllBytes(newest);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(newest, bytes);

        using var recovered = harness.Open(options);
        Assert.Equal([4L], recovered.ProducerState.SnapshotOffsets);
        Assert.Equal(7, recovered.ActiveProducers()[0].LastSequence);
        AssertDuplicate(recovered, 3, originals[1]);
    }

    [Fact]
    public void Recover_WithoutAnySnapshot_ReplaysTheWholeLog()
    {
        using var harness = Harness(300);
        var log = harness.Open();
        var originals = Produce(log, 10);
        log.Flush();
        var options = LogHarness.Crash(log);
        foreach (var snapshot in Directory.EnumerateFiles(harness.Directory, "*.snapshot"))
        {
            File.Delete(snapshot);
        }

        using var recovered = harness.Open(options);
        Assert.Equal(19, recovered.ActiveProducers()[0].LastSequence);
        AssertDuplicate(recovered, 9, originals[9]);
    }

    [Fact]
    public void TruncateTo_RewindsTheProducerState_AndDeletesLaterSnapshots()
    {
        using var harness = Harness();
        using var log = harness.Open();
        var originals = Produce(log, 3);
        log.Roll();
        Produce(log, 3, firstBatch: 3);
        log.Roll();
        Assert.Equal([6L, 12L], log.ProducerState.SnapshotOffsets);

        Assert.Equal(8, log.TruncateTo(8));
        Assert.Equal([6L], log.ProducerState.SnapshotOffsets);
        Assert.Equal(7, log.ActiveProducers()[0].LastSequence);
        AssertDuplicate(log, 2, originals[2]);

        // The truncated batch 4 is not a duplicate any more: it is appended again at the new end.
        var again = log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 8, records: 2), 0);
        Assert.False(again.IsDuplicate);
        Assert.Equal(8, again.FirstOffset);
    }

    [Fact]
    public void TruncateFullyAndStartAt_ForgetsEveryProducerAndSnapshot()
    {
        using var harness = Harness();
        using var log = harness.Open();
        Produce(log, 3);
        log.Roll();
        log.TruncateFullyAndStartAt(100);
        Assert.Empty(log.ActiveProducers());
        Assert.Empty(log.ProducerState.SnapshotOffsets);
        Assert.False(log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 50), 0).IsDuplicate);
    }

    [Fact]
    public void Retention_DeletesSnapshotsOfDeletedSegments_ButKeepsTheNewestUsableOne()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, RetentionBytes = 1 });
        using var log = harness.Open();
        for (var i = 0; i < 4; i++)
        {
            Produce(log, 1, firstBatch: i);
            log.Roll();
        }

        Assert.Equal([2L, 4L, 6L, 8L], log.ProducerState.SnapshotOffsets);
        Produce(log, 1, firstBatch: 4);
        Assert.True(log.DeleteOldSegments() > 0);
        Assert.Equal(log.SegmentBaseOffsets[0], log.ProducerState.SnapshotOffsets[^1]);
        Assert.True(log.ProducerState.SnapshotOffsets.Count <= 2);
    }
}
