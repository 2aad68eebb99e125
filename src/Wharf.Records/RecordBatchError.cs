namespace Wharf.Records;

/// <summary>Why a record batch was rejected. Each maps to a Kafka error code via <see cref="RecordBatchErrorExtensions"/>.</summary>
public enum RecordBatchError
{
    None = 0,

    /// <summary>Fewer bytes than a header, or fewer than the batch says it has.</summary>
    Truncated,

    /// <summary>batch_length is smaller than the header that follows it, or larger than allowed.</summary>
    InvalidLength,

    /// <summary>Magic 0 or 1: a legacy message set, which this broker does not store.</summary>
    LegacyMagic,

    /// <summary>A magic byte newer than 2.</summary>
    UnknownMagic,

    /// <summary>The CRC-32C over attributes..end does not match the header.</summary>
    CrcMismatch,

    /// <summary>record_count is negative, or disagrees with the records or with last_offset_delta.</summary>
    InvalidRecordCount,

    /// <summary>A record's length, varint or field runs past the batch or its own length.</summary>
    InvalidRecord,

    /// <summary>Codec bits name no known codec.</summary>
    UnknownCompression,

    /// <summary>The decompressed records would exceed the caller's bound.</summary>
    DecompressedSizeExceeded,

    /// <summary>The compressed blob is not valid for its codec.</summary>
    CorruptCompressedData,

    /// <summary>record_count promises more records than the record area holds.</summary>
    RecordCountTooHigh,

    /// <summary>Bytes remain in the record area after record_count records.</summary>
    TrailingBytesAfterRecords,

    /// <summary>A record's length varint is zero or negative.</summary>
    InvalidRecordLength,

    /// <summary>A record's length runs past the end of the record area.</summary>
    RecordOverrun,

    /// <summary>A varint or varlong is longer than 5 / 10 bytes or out of its type's range.</summary>
    InvalidVarint,

    /// <summary>A field (varint, key, value or header) runs past the end of its record.</summary>
    FieldOverrun,

    /// <summary>A key or value length below -1, or a header key length below 0 (header keys are never null).</summary>
    InvalidFieldLength,

    /// <summary>A record's header count is negative.</summary>
    InvalidHeaderCount,

    /// <summary>A record's fields end before the length it declares.</summary>
    RecordLengthMismatch,

    /// <summary>Offset deltas are not strictly increasing from zero or more, or one exceeds last_offset_delta.</summary>
    InvalidOffsetDelta,

    /// <summary>The last record's offset delta is not the header's last_offset_delta.</summary>
    LastOffsetDeltaMismatch,

    /// <summary>A control batch that is not a single uncompressed control record (or is not a control batch at all).</summary>
    InvalidControlBatch,

    /// <summary>A control record whose key or value cannot be parsed.</summary>
    InvalidControlRecord,

    /// <summary>A client tried to produce a control batch; only brokers write them.</summary>
    ControlBatchNotAllowed,

    /// <summary>A produced batch with no records, or whose record_count is not last_offset_delta + 1.</summary>
    InvalidOffsetRange,

    /// <summary>A produced batch with a producer id but a negative base sequence.</summary>
    InvalidBaseSequence,
}
