using Wharf.Records;

namespace Wharf.Storage.Tests;

/// <summary>
/// Transactions in the log: the first unstable offset (which bounds the last stable offset), the aborted-transaction
/// index and its <c>.txnindex</c> files (Kafka's format), across rolls, clean stops, kill -9, truncation and retention.
/// </summary>
public sealed class TransactionIndexTests
{
    private const long ProducerA = 10;
    private const long ProducerB = 20;

    private static LogHarness Harness(int segmentBytes = 1 << 30) =>
        new(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = segmentBytes });

    private static long Transactional(Log log, long producerId, int sequence, int records = 2) =>
        log.AppendAsLeader(ProducerBatches.Build(producerId, 0, sequence, records, transactional: true), 0).FirstOffset;

    private static long Marker(Log log, long producerId, bool commit, int coordinatorEpoch = 3)
    {
        var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = 0 };
        builder.AppendEndTransactionMarker(new EndTransactionMarker(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch), 1000);
        return log.AppendAsLeader(builder.ToArray(), 0, AppendOrigin.Coordinator).FirstOffset;
    }

    [Fact]
    public void FirstUnstableOffset_IsTheFirstOffsetOfTheOldestOpenTransaction_AndMovesOnWithItsMarker()
    {
        using var harness = Harness();
        using var log = harness.Open();
        log.AppendAsLeader(Batches.Values(3, 10, 1000, new Random(1)), 0);
        Assert.Null(log.FirstUnstableOffset);
        var a = Transactional(log, ProducerA, 0);
        var b = Transactional(log, ProducerB, 0);
        Transactional(log, ProducerA, 2);
        Assert.Equal(a, log.FirstUnstableOffset);
        Marker(log, ProducerA, commit: true);
        Assert.Equal(b, log.FirstUnstableOffset);
        Marker(log, ProducerB, commit: false);
        Assert.Null(log.FirstUnstableOffset);
        Assert.Empty(log.CollectAbortedTransactions(0, a));
    }

    [Fact]
    public void AbortMarker_IsIndexed_AndTheQueryReturnsOnlyTransactionsOverlappingTheRange()
    {
        using var harness = Harness();
        using var log = harness.Open();
        var a = Transactional(log, ProducerA, 0);                 // 0-1
        var commitA = Marker(log, ProducerA, commit: true);        // 2
        var b = Transactional(log, ProducerB, 0);                  // 3-4
        var abortB = Marker(log, ProducerB, commit: false);        // 5
        var a2 = Transactional(log, ProducerA, 2);                 // 6-7
        var abortA = Marker(log, ProducerA, commit: false);        // 8
        Assert.Equal((0L, 2L, 3L, 5L, 6L, 8L), (a, commitA, b, abortB, a2, abortA));
        Assert.Equal([new AbortedTransaction(ProducerB, 3, 5, 6), new AbortedTransaction(ProducerA, 6, 8, 9)], log.AbortedTransactions);
        Assert.Equal([ProducerB, ProducerA], log.CollectAbortedTransactions(0, 9).Select(t => t.ProducerId));
        Assert.Equal([ProducerB], log.CollectAbortedTransactions(0, 6).Select(t => t.ProducerId));
        Assert.Equal([ProducerA], log.CollectAbortedTransactions(6, 9).Select(t => t.ProducerId));
        Assert.Empty(log.CollectAbortedTransactions(0, 3));
    }

    [Fact]
    public void TxnIndexFile_RoundTripsKafkasLayout_AndRejectsTornOrUnknownEntries()
    {
        AbortedTransaction[] entries = [new(1, 10, 20, 21), new(long.MaxValue, 0, 5, 3)];
        var bytes = TransactionIndexFile.Serialize(entries);
        Assert.Equal(2 * 34, bytes.Length);
        Assert.True(TransactionIndexFile.TryDeserialize(bytes, out var read, out var problem), problem);
        Assert.Equal(entries, read);
        Assert.False(TransactionIndexFile.TryDeserialize(bytes.AsSpan(0, 33), out _, out _));
        bytes[1] = 7;
        Assert.False(TransactionIndexFile.TryDeserialize(bytes, out _, out _));
    }

    [Fact]
    public void Roll_WritesTheOldSegmentsTxnIndex_AndAReopenAfterACleanStopKeepsEveryEntry()
    {
        using var harness = Harness();
        var log = harness.Open();
        Transactional(log, ProducerA, 0);
        Marker(log, ProducerA, commit: false);
        log.Roll();
        Assert.True(File.Exists(harness.SegmentFile(0, TransactionIndexFile.Suffix)));
        Transactional(log, ProducerB, 0);
        Marker(log, ProducerB, commit: false);
        var expected = log.AbortedTransactions.ToList();
        log.Dispose();
        Assert.True(File.Exists(harness.SegmentFile(3, TransactionIndexFile.Suffix)));

        using var reopened = harness.Open(new LogLoadOptions(HadCleanShutdown: true));
        Assert.Equal(expected, reopened.AbortedTransactions);
    }

    [Fact]
    public void Recover_AfterKillNine_RebuildsTheActiveSegmentsEntriesAndTheOpenTransaction()
    {
        using var harness = Harness();
        var log = harness.Open();
        Transactional(log, ProducerA, 0);
        Marker(log, ProducerA, commit: false);
        log.Roll();
        Transactional(log, ProducerB, 0);
        Marker(log, ProducerB, commit: false);
        var open = Transactional(log, ProducerA, 2);
        var expected = log.AbortedTransactions.ToList();
        log.Flush();
        var options = LogHarness.Crash(log);
        Assert.False(File.Exists(harness.SegmentFile(3, TransactionIndexFile.Suffix)));

        using var recovered = harness.Open(options);
        Assert.Equal(expected, recovered.AbortedTransactions);
        Assert.Equal(open, recovered.FirstUnstableOffset);
    }

    [Fact]
    public void Recover_WithACorruptTxnIndex_RebuildsItFromTheWholeLog()
    {
        using var harness = Harness();
        var log = harness.Open();
        Transactional(log, ProducerA, 0);
        Marker(log, ProducerA, commit: false);
        log.Roll();
        Transactional(log, ProducerB, 0);
        Marker(log, ProducerB, commit: true);
        var expected = log.AbortedTransactions.ToList();
        log.Dispose();
        File.WriteAllBytes(harness.SegmentFile(0, TransactionIndexFile.Suffix), [1, 2, 3]);

        using var reopened = harness.Open(new LogLoadOptions(HadCleanShutdown: true));
        Assert.Equal(expected, reopened.AbortedTransactions);
    }

    [Fact]
    public void TruncateTo_DropsEntriesOfTheCutMarkers_AndReopensTheTransaction()
    {
        using var harness = Harness();
        using var log = harness.Open();
        var first = Transactional(log, ProducerA, 0);
        var marker = Marker(log, ProducerA, commit: false);
        Assert.Single(log.AbortedTransactions);
        log.TruncateTo(marker);
        Assert.Empty(log.AbortedTransactions);
        Assert.Equal(first, log.FirstUnstableOffset);
    }

    [Fact]
    public void Retention_RemovesTheEntriesAndFilesOfDeletedSegments()
    {
        using var harness = new LogHarness(new LogConfig { FlushMode = LogFlushMode.Interval, RetentionMs = -1 });
        using var log = harness.Open();
        Transactional(log, ProducerA, 0);
        Marker(log, ProducerA, commit: false);
        log.Roll();
        Transactional(log, ProducerB, 0);
        Marker(log, ProducerB, commit: false);
        log.Roll();
        Assert.True(log.IncrementLogStartOffset(3));
        Assert.Equal(1, log.DeleteOldSegments());
        Assert.Equal([ProducerB], log.AbortedTransactions.Select(t => t.ProducerId));
        Assert.False(File.Exists(harness.SegmentFile(0, TransactionIndexFile.Suffix)));
    }

    [Fact]
    public void CoordinatorAppend_ChecksOnlyTheEpoch_NeverSequences()
    {
        using var harness = Harness();
        using var log = harness.Open();
        log.AppendAsLeader(ProducerBatches.Build(ProducerA, 1, 0, transactional: true), 0, AppendOrigin.Coordinator);
        var again = log.AppendAsLeader(ProducerBatches.Build(ProducerA, 1, 0, transactional: true), 0, AppendOrigin.Coordinator);
        Assert.False(again.IsDuplicate);
        var stale = Assert.Throws<ProducerStateException>(() => log.AppendAsLeader(ProducerBatches.Build(ProducerA, 0, 5, transactional: true), 0, AppendOrigin.Coordinator));
        Assert.Equal(Common.ErrorCode.InvalidProducerEpoch, stale.ErrorCode);
    }

    [Fact]
    public void Marker_FromAnOlderCoordinatorEpochThanTheLastMarker_IsFenced_AndTheEpochSurvivesARestart()
    {
        using var harness = Harness();
        var log = harness.Open();
        Transactional(log, ProducerA, 0);
        Marker(log, ProducerA, commit: true, coordinatorEpoch: 5);
        Transactional(log, ProducerA, 2);
        var zombie = Assert.Throws<ProducerStateException>(() => Marker(log, ProducerA, commit: false, coordinatorEpoch: 4));
        Assert.Equal(Common.ErrorCode.TransactionCoordinatorFenced, zombie.ErrorCode);
        Assert.Equal(5, Assert.Single(log.ActiveProducers()).CoordinatorEpoch);
        Marker(log, ProducerA, commit: false, coordinatorEpoch: 5);
        Transactional(log, ProducerA, 4);
        log.Flush();
        var options = LogHarness.Crash(log);

        using var recovered = harness.Open(options);
        Assert.Equal(5, Assert.Single(recovered.ActiveProducers()).CoordinatorEpoch);
        var stale = Assert.Throws<ProducerStateException>(() => Marker(recovered, ProducerA, commit: true, coordinatorEpoch: 4));
        Assert.Equal(Common.ErrorCode.TransactionCoordinatorFenced, stale.ErrorCode);
        Marker(recovered, ProducerA, commit: true, coordinatorEpoch: 6);
        Assert.Equal(6, Assert.Single(recovered.ActiveProducers()).CoordinatorEpoch);
    }
}
