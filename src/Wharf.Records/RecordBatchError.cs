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
}
