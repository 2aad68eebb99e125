using System.Buffers.Binary;

namespace Wharf.Records.Tests;

public class ControlRecordTests
{
    [Theory]
    [InlineData(ControlRecordType.Commit)]
    [InlineData(ControlRecordType.Abort)]
    public void AppendEndTransactionMarker_BuildsAControlBatchThatReadsBack(ControlRecordType type)
    {
        var builder = new RecordBatchBuilder { ProducerId = 1234, ProducerEpoch = 5 };
        var batch = builder.AppendEndTransactionMarker(new EndTransactionMarker(type, CoordinatorEpoch: 17), 1_000).ToArray();

        Assert.Equal(RecordBatchError.None, RecordBatchValidator.ValidateControlBatch(batch, out var parsedType));
        Assert.Equal(type, parsedType);

        Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, 0, out var reader));
        Assert.True(reader.Header.IsControl);
        Assert.True(reader.Header.IsTransactional);
        Assert.Equal(1234, reader.Header.ProducerId);
        foreach (var record in reader)
        {
            Assert.True(EndTransactionMarker.TryRead(record, out var marker));
            Assert.Equal(new EndTransactionMarker(type, 17), marker);
            Assert.Equal([0, 0, 0, (byte)type], record.Key.ToArray());
            Assert.Equal([0, 0, 0, 0, 0, 17], record.Value.ToArray());
        }
    }

    [Fact]
    public void TryReadKey_OfANewerVersion_ReadsTheTypeAsVersionZero()
    {
        Assert.True(ControlRecord.TryReadKey([0, 3, 0, 1, 99], out var version, out var type));
        Assert.Equal(3, version);
        Assert.Equal(ControlRecordType.Commit, type);
    }

    [Fact]
    public void TryReadKey_ShortOrNegativeVersion_IsFalse()
    {
        Assert.False(ControlRecord.TryReadKey([0, 0, 0], out _, out _));
        Assert.False(ControlRecord.TryReadKey([0xFF, 0xFF, 0, 1], out _, out _));
    }

    [Fact]
    public void TryReadValue_ForANonMarkerTypeOrAShortValue_IsFalse()
    {
        Assert.False(EndTransactionMarker.TryReadValue(ControlRecordType.LeaderChange, new byte[6], out _));
        Assert.False(EndTransactionMarker.TryReadValue(ControlRecordType.Commit, new byte[5], out _));
        Assert.True(EndTransactionMarker.TryReadValue(ControlRecordType.Abort, [0, 0, 0xFF, 0xFF, 0xFF, 0xFF], out var marker));
        Assert.Equal(-1, marker.CoordinatorEpoch);
    }

    [Fact]
    public void ValidateControlBatch_OfAnOrdinaryBatch_IsInvalidControlBatch()
    {
        var batch = new RecordBatchBuilder().Append(1, null, [1]).ToArray();
        Assert.Equal(RecordBatchError.InvalidControlBatch, RecordBatchValidator.ValidateControlBatch(batch, out _));
    }

    [Fact]
    public void ValidateControlBatch_WithTwoRecords_IsInvalidControlBatch()
    {
        var builder = new RecordBatchBuilder();
        builder.AppendEndTransactionMarker(new EndTransactionMarker(ControlRecordType.Commit, 1), 0);
        builder.AppendEndTransactionMarker(new EndTransactionMarker(ControlRecordType.Commit, 1), 0);
        Assert.Equal(RecordBatchError.InvalidControlBatch, RecordBatchValidator.ValidateControlBatch(builder.ToArray(), out _));
    }

    [Fact]
    public void ValidateControlBatch_AMarkerWithoutTheTransactionalBit_IsInvalidControlBatch()
    {
        var batch = new RecordBatchBuilder().AppendEndTransactionMarker(new EndTransactionMarker(ControlRecordType.Abort, 1), 0).ToArray();
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch.AsSpan(RecordBatchLayout.AttributesOffset));
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchLayout.AttributesOffset), (short)(attributes & ~0x10));
        RecordBatchWriter.RewriteCrc(batch);
        Assert.Equal(RecordBatchError.InvalidControlBatch, RecordBatchValidator.ValidateControlBatch(batch, out _));
    }

    [Fact]
    public void ValidateControlBatch_AShortKey_IsInvalidControlRecord()
    {
        var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true };
        builder.Append(0, new byte[] { 0, 0 }, new byte[6]);
        Assert.Equal(RecordBatchError.InvalidControlRecord, RecordBatchValidator.ValidateControlBatch(builder.ToArray(), out _));
    }

    [Fact]
    public void ValidateControlBatch_AMarkerWithANullValue_IsInvalidControlRecord()
    {
        var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true };
        builder.Append(0, new byte[] { 0, 0, 0, 1 }, null);
        Assert.Equal(RecordBatchError.InvalidControlRecord, RecordBatchValidator.ValidateControlBatch(builder.ToArray(), out _));
    }
}
