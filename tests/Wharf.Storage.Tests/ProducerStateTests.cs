using System.Buffers.Binary;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage.Tests;

/// <summary>Idempotent-producer batches for tests: producer id, epoch and base sequence set, CRC recomputed.</summary>
internal static class ProducerBatches
{
    public static byte[] Build(long producerId, short epoch, int baseSequence, int records = 1, bool transactional = false, long timestamp = 1000)
    {
        var batch = Batches.Build(
            [.. Enumerable.Range(0, records).Select(i => new TestRecord(null, [(byte)i], timestamp + i))],
            transactional: transactional,
            producerId: producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchLayout.ProducerEpochOffset), epoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.BaseSequenceOffset), baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchLayout.CrcOffset), Crc32C.Compute(batch.AsSpan(RecordBatchLayout.AttributesOffset)));
        return batch;
    }
}

/// <summary>
/// The sequence and epoch rules of idempotent producers (Kafka's ProducerAppendInfo), applied by
/// <see cref="Log.AppendAsLeader"/> through <see cref="ProducerStateManager"/>, plus expiry in virtual time.
/// </summary>
public sealed class ProducerStateTests : IDisposable
{
    private const long ProducerId = 4000;
    private readonly LogHarness _harness = new();
    private readonly Log _log;

    public ProducerStateTests() => _log = _harness.Open();

    public void Dispose()
    {
        _log.Dispose();
        _harness.Dispose();
    }

    private LogAppendInfo Append(short epoch, int sequence, int records = 1, long producerId = ProducerId) =>
        _log.AppendAsLeader(ProducerBatches.Build(producerId, epoch, sequence, records), 0);

    private ErrorCode Reject(short epoch, int sequence, int records = 1)
    {
        var end = _log.LogEndOffset;
        var e = Assert.Throws<ProducerStateException>(() => Append(epoch, sequence, records));
        Assert.Equal(end, _log.LogEndOffset);
        return e.ErrorCode;
    }

    [Fact]
    public void Append_FirstBatchOfUnknownProducer_IsAcceptedAtAnySequence()
    {
        var info = Append(3, 17, records: 2);
        Assert.False(info.IsDuplicate);
        var entry = Assert.Single(_log.ActiveProducers());
        Assert.Equal((ProducerId, (short)3, 18, 1L), (entry.ProducerId, entry.ProducerEpoch, entry.LastSequence, entry.LastOffset));
    }

    [Fact]
    public void Append_NextSequence_IsAccepted_AndAGapIsOutOfOrderWithNothingAppended()
    {
        Append(0, 0, records: 3);
        Append(0, 3, records: 2);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Reject(0, 6));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Reject(0, 4));
        Assert.Equal(5, _log.LogEndOffset);
        Assert.Equal(4, _log.ActiveProducers()[0].LastSequence);
        Append(0, 5);
        Assert.Equal(6, _log.LogEndOffset);
    }

    [Fact]
    public void Append_RepeatOfEachOfTheLastFiveBatches_ReturnsTheOriginalOffsets_AndAppendsNothing()
    {
        var originals = new List<LogAppendInfo>();
        for (var i = 0; i < 7; i++)
        {
            originals.Add(Append(0, i * 2, records: 2));
        }

        var end = _log.LogEndOffset;
        for (var i = 2; i < 7; i++)
        {
            var retry = Append(0, i * 2, records: 2);
            Assert.True(retry.IsDuplicate);
            Assert.Equal((originals[i].FirstOffset, originals[i].LastOffset), (retry.FirstOffset, retry.LastOffset));
        }

        Assert.Equal(end, _log.LogEndOffset);

        // The sixth-newest batch has left the cache: its retry is now out of order, not a duplicate.
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Reject(0, 2, records: 2));
        Assert.Equal(7, LogHarness.ReadAll(_log).Count);
    }

    [Fact]
    public void Append_SameFirstSequenceButDifferentLastSequence_IsNotADuplicate()
    {
        Append(0, 0, records: 2);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Reject(0, 0, records: 3));
    }

    [Fact]
    public void Append_LowerEpoch_IsInvalidProducerEpoch_EvenAtTheNextSequence()
    {
        Append(5, 0);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Reject(4, 1));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Reject(4, 0));
    }

    [Fact]
    public void Append_HigherEpoch_MustStartAtSequenceZero()
    {
        Append(0, 0, records: 5);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Reject(1, 5));
        Append(1, 0);
        var entry = _log.ActiveProducers()[0];
        Assert.Equal(((short)1, 0), (entry.ProducerEpoch, entry.LastSequence));
        Assert.Single(entry.Batches);
    }

    [Fact]
    public void Append_AfterEpochBump_ARetryOfTheOldEpochIsFenced()
    {
        Append(0, 0);
        Append(1, 0);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Reject(0, 0));
    }

    [Fact]
    public void Append_SequenceWrapsFromIntMaxToZero()
    {
        Append(0, int.MaxValue - 1, records: 2);
        Assert.Equal(int.MaxValue, _log.ActiveProducers()[0].LastSequence);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Reject(0, 1));
        Append(0, 0);
        Append(0, 1, records: 3);
        Assert.Equal(3, _log.ActiveProducers()[0].LastSequence);
    }

    [Fact]
    public void Append_BatchSpanningTheWrap_HasWrappedLastSequence()
    {
        Append(0, int.MaxValue - 1, records: 4);
        Assert.Equal(1, _log.ActiveProducers()[0].LastSequence);
        Assert.True(Append(0, int.MaxValue - 1, records: 4).IsDuplicate);
        Append(0, 2);
    }

    [Fact]
    public void Append_ProducersAreIndependent()
    {
        Append(0, 0, producerId: 1);
        Append(0, 0, producerId: 2);
        Append(0, 1, producerId: 1);
        Assert.Equal(2, _log.ActiveProducers().Count);
    }

    [Fact]
    public void Append_BatchWithoutProducerId_IsNotTracked()
    {
        _log.AppendAsLeader(Batches.Keyed("k", "v", 1000), 0);
        Assert.Empty(_log.ActiveProducers());
    }

    [Fact]
    public void Append_SeveralBatchesInOneAppend_AreCheckedInOrder_AndAllOrNothing()
    {
        _log.AppendAsLeader(Batches.Concat(ProducerBatches.Build(ProducerId, 0, 0, 2), ProducerBatches.Build(ProducerId, 0, 2, 2)), 0);
        Assert.Equal(3, _log.ActiveProducers()[0].LastSequence);

        var gap = Batches.Concat(ProducerBatches.Build(ProducerId, 0, 4), ProducerBatches.Build(ProducerId, 0, 9));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Assert.Throws<ProducerStateException>(() => _log.AppendAsLeader(gap, 0)).ErrorCode);
        Assert.Equal(4, _log.LogEndOffset);
        Assert.Equal(3, _log.ActiveProducers()[0].LastSequence);

        var repeat = Batches.Concat(ProducerBatches.Build(ProducerId, 0, 4), ProducerBatches.Build(ProducerId, 0, 2, 2));
        Assert.Equal(ErrorCode.DuplicateSequenceNumber, Assert.Throws<ProducerStateException>(() => _log.AppendAsLeader(repeat, 0)).ErrorCode);
        Assert.Equal(4, _log.LogEndOffset);
    }

    [Fact]
    public void Append_TransactionalBatch_RecordsTheTransactionsFirstOffset()
    {
        Append(0, 0);
        _log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 1, transactional: true), 0);
        _log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 2, transactional: true), 0);
        Assert.Equal(1, _log.ActiveProducers()[0].CurrentTxnFirstOffset);
    }

    [Fact]
    public void RemoveExpiredProducers_ForgetsProducersIdleForTheExpiration_ThenAnySequenceIsAccepted()
    {
        const long Expiration = LogConfig.Day;
        Append(0, 0, producerId: 1);
        _harness.Time.Advance(TimeSpan.FromHours(12));
        Append(0, 0, producerId: 2);
        _harness.Time.Advance(TimeSpan.FromHours(12) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _log.RemoveExpiredProducers(Expiration));

        _harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _log.RemoveExpiredProducers(Expiration));
        Assert.Equal(2, Assert.Single(_log.ActiveProducers()).ProducerId);

        // Producer 1 is unknown again: a gap is accepted (Kafka 2.x+), producer 2 still checked.
        Append(0, 42, producerId: 1);
        Assert.Throws<ProducerStateException>(() => Append(0, 42, producerId: 2));
    }

    [Fact]
    public void RemoveExpiredProducers_KeepsAProducerWithAnOpenTransaction()
    {
        _log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 0, transactional: true), 0);
        _harness.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, _log.RemoveExpiredProducers(LogConfig.Day));
    }

    [Fact]
    public void LogManager_ExpiryTimer_UsesTheConfiguredExpiration()
    {
        using var temp = new TempDirectory();
        using var manager = LogManager.Open(new LogManagerOptions
        {
            DataDirectory = temp.Path,
            Time = _harness.Time,
            DefaultConfig = new LogConfig { FlushMode = LogFlushMode.Interval },
            ProducerIdExpiration = TimeSpan.FromMinutes(30),
            ProducerIdExpirationCheckInterval = TimeSpan.FromMinutes(10),
        });
        var log = manager.GetOrCreateLog(new TopicPartition("t", 0));
        log.AppendAsLeader(ProducerBatches.Build(ProducerId, 0, 0), 0);
        _harness.Time.Advance(TimeSpan.FromMinutes(20));
        manager.WaitForBackgroundJobs();
        Assert.Single(log.ActiveProducers());
        _harness.Time.Advance(TimeSpan.FromMinutes(10));
        manager.WaitForBackgroundJobs();
        Assert.Empty(log.ActiveProducers());
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(5, 3, 8)]
    [InlineData(int.MaxValue, 1, 0)]
    [InlineData(int.MaxValue - 1, 3, 1)]
    public void IncrementSequence_WrapsAfterIntMax(int sequence, int increment, int expected) =>
        Assert.Equal(expected, ProducerStateManager.IncrementSequence(sequence, increment));
}
