using System.Buffers.Binary;
using Wharf.Common;
using static Wharf.Records.Tests.TestBatches;

namespace Wharf.Records.Tests;

/// <summary>Each <see cref="RecordBatchError"/> produced by a batch crafted to have exactly that fault.</summary>
public class ValidatorErrorTests
{
    private const int Limit = 1 << 20;

    [Fact]
    public void Validate_AWellFormedHandMadeBatch_ReturnsNone()
    {
        Assert.Equal(RecordBatchError.None, Validate(Batch(3, 2, RecordArea(3))));
    }

    [Fact]
    public void Validate_FewerBytesThanAHeader_IsTruncated()
    {
        Assert.Equal(RecordBatchError.Truncated, Validate(Batch(1, 0, RecordArea(1))[..60]));
    }

    [Fact]
    public void Validate_FewerBytesThanBatchLengthSays_IsTruncated()
    {
        var batch = Batch(3, 2, RecordArea(3));
        Assert.Equal(RecordBatchError.Truncated, Validate(batch[..^1]));
    }

    [Fact]
    public void Validate_BatchLengthSmallerThanTheHeader_IsInvalidLength()
    {
        var batch = Batch(1, 0, RecordArea(1));
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.LengthOffset), 10);
        Assert.Equal(RecordBatchError.InvalidLength, Validate(batch));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Validate_ALegacyMagic_IsLegacyMagicAndUnsupportedForMessageFormat(byte magic)
    {
        var batch = Batch(1, 0, RecordArea(1));
        batch[RecordBatchLayout.MagicOffset] = magic;
        var error = Validate(batch);
        Assert.Equal(RecordBatchError.LegacyMagic, error);
        Assert.Equal(ErrorCode.UnsupportedForMessageFormat, error.ToErrorCode());
    }

    [Fact]
    public void Validate_AShortLegacyMessageSet_IsLegacyMagic()
    {
        // offset 8, size 4, crc 4, magic 1 ... shorter than a v2 header.
        var legacy = new byte[30];
        legacy[RecordBatchLayout.MagicOffset] = 1;
        Assert.Equal(RecordBatchError.LegacyMagic, Validate(legacy));
    }

    [Fact]
    public void Validate_AFutureMagic_IsUnknownMagic()
    {
        var batch = Batch(1, 0, RecordArea(1));
        batch[RecordBatchLayout.MagicOffset] = 3;
        Assert.Equal(RecordBatchError.UnknownMagic, Validate(batch));
    }

    [Fact]
    public void Validate_AFlippedBitUnderTheCrc_IsCrcMismatch()
    {
        var batch = Batch(3, 2, RecordArea(3));
        batch[^1] ^= 0x10;
        var error = Validate(batch);
        Assert.Equal(RecordBatchError.CrcMismatch, error);
        Assert.Equal(ErrorCode.CorruptMessage, error.ToErrorCode());
    }

    [Fact]
    public void Validate_ANegativeRecordCount_IsInvalidRecordCount()
    {
        Assert.Equal(RecordBatchError.InvalidRecordCount, Validate(Batch(-1, 0, [])));
    }

    [Fact]
    public void Validate_AnUnknownCodec_IsUnknownCompression()
    {
        var batch = Batch(1, 0, RecordArea(1));
        batch[RecordBatchLayout.AttributesOffset + 1] = 5;
        RecordBatchWriter.RewriteCrc(batch);
        var error = Validate(batch);
        Assert.Equal(RecordBatchError.UnknownCompression, error);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, error.ToErrorCode());
    }

    [Fact]
    public void Validate_ACountAboveTheRecordsPresent_IsRecordCountTooHigh()
    {
        Assert.Equal(RecordBatchError.RecordCountTooHigh, Validate(Batch(4, 3, RecordArea(3))));
    }

    [Fact]
    public void Validate_ACountBelowTheRecordsPresent_IsTrailingBytesAfterRecords()
    {
        Assert.Equal(RecordBatchError.TrailingBytesAfterRecords, Validate(Batch(2, 1, RecordArea(3))));
    }

    [Fact]
    public void Validate_ARecordLengthOfZero_IsInvalidRecordLength()
    {
        Assert.Equal(RecordBatchError.InvalidRecordLength, Validate(Batch(1, 0, [0x00])));
    }

    [Fact]
    public void Validate_ARecordLongerThanTheRecordArea_IsRecordOverrun()
    {
        var record = RawRecord(Body(0, null, [1, 2, 3]), lengthOverride: 50);
        Assert.Equal(RecordBatchError.RecordOverrun, Validate(Batch(1, 0, record)));
    }

    [Fact]
    public void Validate_ARecordAreaEndingInsideALengthVarint_IsRecordOverrun()
    {
        Assert.Equal(RecordBatchError.RecordOverrun, Validate(Batch(1, 0, [0x80])));
    }

    [Fact]
    public void Validate_AnOverlongLengthVarint_IsInvalidVarint()
    {
        Assert.Equal(RecordBatchError.InvalidVarint, Validate(Batch(1, 0, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])));
    }

    [Fact]
    public void Validate_AnOverlongVarintInsideARecord_IsInvalidVarint()
    {
        byte[] body = [0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 1, 1, 0];
        Assert.Equal(RecordBatchError.InvalidVarint, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_AKeyLongerThanItsRecord_IsFieldOverrun()
    {
        // attributes, ts delta 0, offset delta 0, key length 20 but only 2 bytes follow.
        byte[] body = [0, 0, 0, .. VarintBytes(20), 1, 2];
        Assert.Equal(RecordBatchError.FieldOverrun, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_ARecordEndingInsideAVarint_IsFieldOverrun()
    {
        byte[] body = [0, 0, 0x80];
        Assert.Equal(RecordBatchError.FieldOverrun, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_AValueLengthBelowMinusOne_IsInvalidFieldLength()
    {
        byte[] body = [0, 0, 0, .. VarintBytes(-1), .. VarintBytes(-2), 0];
        Assert.Equal(RecordBatchError.InvalidFieldLength, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_ANullHeaderKey_IsInvalidFieldLength()
    {
        byte[] body = [0, 0, 0, .. VarintBytes(-1), .. VarintBytes(-1), .. VarintBytes(1), .. VarintBytes(-1), .. VarintBytes(-1)];
        Assert.Equal(RecordBatchError.InvalidFieldLength, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_ANegativeHeaderCount_IsInvalidHeaderCount()
    {
        byte[] body = [0, 0, 0, .. VarintBytes(-1), .. VarintBytes(-1), .. VarintBytes(-3)];
        Assert.Equal(RecordBatchError.InvalidHeaderCount, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_AHeaderCountBeyondTheHeadersPresent_IsFieldOverrun()
    {
        byte[] body = [.. Body(0, null, [1]).AsSpan(0, Body(0, null, [1]).Length - 1), .. VarintBytes(int.MaxValue)];
        Assert.Equal(RecordBatchError.FieldOverrun, Validate(Batch(1, 0, RawRecord(body))));
    }

    [Fact]
    public void Validate_ARecordLengthLongerThanItsFields_IsRecordLengthMismatch()
    {
        var record = RawRecord([.. Body(0, [1], [2]), 0xAA]);
        Assert.Equal(RecordBatchError.RecordLengthMismatch, Validate(Batch(1, 0, record)));
    }

    [Fact]
    public void Validate_RepeatedOffsetDeltas_IsInvalidOffsetDelta()
    {
        Assert.Equal(RecordBatchError.InvalidOffsetDelta, Validate(Batch(2, 1, [.. Record(0), .. Record(0)])));
    }

    [Fact]
    public void Validate_ANegativeOffsetDelta_IsInvalidOffsetDelta()
    {
        Assert.Equal(RecordBatchError.InvalidOffsetDelta, Validate(Batch(1, 0, Record(-1))));
    }

    [Fact]
    public void Validate_AnOffsetDeltaBeyondLastOffsetDelta_IsInvalidOffsetDelta()
    {
        Assert.Equal(RecordBatchError.InvalidOffsetDelta, Validate(Batch(2, 1, [.. Record(0), .. Record(5)])));
    }

    [Fact]
    public void Validate_ALastOffsetDeltaBeyondTheLastRecord_IsLastOffsetDeltaMismatch()
    {
        Assert.Equal(RecordBatchError.LastOffsetDeltaMismatch, Validate(Batch(2, 4, RecordArea(2))));
    }

    [Fact]
    public void Validate_ACompactedBatchWithGaps_IsAcceptedButNotAsProducerInput()
    {
        var batch = Batch(2, 5, [.. Record(1), .. Record(5)]);
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, Limit, out var header));
        Assert.Equal(RecordBatchError.InvalidOffsetRange, RecordBatchValidator.ValidateProducerBatch(header));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Validate_GarbageForACompressedBlob_IsCorruptCompressedData(CompressionType compression)
    {
        var header = Header(1, 0, compression);
        var good = Batch(header, RecordArea(1));
        var garbage = Enumerable.Range(0, 40).Select(i => (byte)((i * 37) + 11)).ToArray();
        var batch = new byte[RecordBatchLayout.HeaderSize + garbage.Length];
        RecordBatchWriter.Write(batch, header, garbage);
        Assert.Equal(RecordBatchError.None, Validate(good));
        Assert.Equal(RecordBatchError.CorruptCompressedData, Validate(batch));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Validate_RecordsBeyondTheDecompressionBound_IsDecompressedSizeExceeded(CompressionType compression)
    {
        var batch = Batch(Header(100, 99, compression), RecordArea(100, valueSize: 100));
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 20_000, out _));
        var error = RecordBatchValidator.Validate(batch, 5_000, out _);
        Assert.Equal(RecordBatchError.DecompressedSizeExceeded, error);
        Assert.Equal(ErrorCode.MessageTooLarge, error.ToErrorCode());
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Zstd)]
    public void Validate_ACompressedBatchWithACountMismatch_IsFoundAfterDecompression(CompressionType compression)
    {
        Assert.Equal(RecordBatchError.RecordCountTooHigh, Validate(Batch(Header(5, 4, compression), RecordArea(4))));
    }

    [Fact]
    public void ValidateProducerBatch_AControlBatch_IsControlBatchNotAllowed()
    {
        var batch = new RecordBatchBuilder().AppendEndTransactionMarker(new EndTransactionMarker(ControlRecordType.Commit, 1), 0).ToArray();
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 0, out var header));
        Assert.Equal(RecordBatchError.ControlBatchNotAllowed, RecordBatchValidator.ValidateProducerBatch(header));
    }

    [Fact]
    public void ValidateProducerBatch_AProducerIdWithoutSequence_IsInvalidBaseSequence()
    {
        var batch = new RecordBatchBuilder { ProducerId = 5, ProducerEpoch = 0 }.Append(0, null, [1]).ToArray();
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 0, out var header));
        Assert.Equal(RecordBatchError.InvalidBaseSequence, RecordBatchValidator.ValidateProducerBatch(header));
    }

    [Fact]
    public void ToErrorCode_OfEveryRecordLevelError_IsInvalidRecord()
    {
        RecordBatchError[] recordLevel =
        [
            RecordBatchError.RecordCountTooHigh, RecordBatchError.TrailingBytesAfterRecords, RecordBatchError.InvalidRecordLength,
            RecordBatchError.RecordOverrun, RecordBatchError.InvalidVarint, RecordBatchError.FieldOverrun,
            RecordBatchError.InvalidFieldLength, RecordBatchError.InvalidHeaderCount, RecordBatchError.RecordLengthMismatch,
            RecordBatchError.InvalidOffsetDelta, RecordBatchError.LastOffsetDeltaMismatch, RecordBatchError.ControlBatchNotAllowed,
            RecordBatchError.InvalidOffsetRange, RecordBatchError.InvalidBaseSequence,
        ];
        Assert.All(recordLevel, e => Assert.Equal(ErrorCode.InvalidRecord, e.ToErrorCode()));
    }

    [Fact]
    public void Enumerate_AMalformedRecord_StopsAndReportsTheError()
    {
        var batch = Batch(3, 2, [.. Record(0), .. Record(1), 0x00]);
        Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, 0, out var reader));
        var enumerator = reader.GetEnumerator();
        var seen = 0;
        while (enumerator.MoveNext())
        {
            seen++;
        }

        Assert.Equal(2, seen);
        Assert.Equal(RecordBatchError.InvalidRecordLength, enumerator.Error);
    }

    [Fact]
    public void Enumerate_BytesAfterTheLastCountedRecord_ReportsTrailingBytes()
    {
        var enumerator = new RecordEnumerator(RecordArea(3), 2);
        while (enumerator.MoveNext())
        {
        }

        Assert.Equal(RecordBatchError.TrailingBytesAfterRecords, enumerator.Error);
    }

    private static RecordBatchError Validate(byte[] batch) => RecordBatchValidator.Validate(batch, Limit, out _);
}
