namespace Wharf.Records;

/// <summary>
/// Byte layout of a RecordBatch v2 (magic 2) header, all fields big-endian:
/// <code>
///  0 base_offset            int64   rewritten by the broker on append (outside the CRC)
///  8 batch_length           int32   bytes after this field (total size - 12)
/// 12 partition_leader_epoch int32   stamped by the broker (outside the CRC)
/// 16 magic                  int8    2
/// 17 crc                    uint32  CRC-32C over bytes 21..end
/// 21 attributes             int16   bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon
/// 23 last_offset_delta      int32
/// 27 base_timestamp         int64
/// 35 max_timestamp          int64
/// 43 producer_id            int64   -1 when not idempotent
/// 51 producer_epoch         int16
/// 53 base_sequence          int32   -1 when not idempotent
/// 57 record_count           int32
/// 61 records...                     compressed as one blob when the codec is not none
/// </code>
/// </summary>
public static class RecordBatchLayout
{
    public const int BaseOffsetOffset = 0;
    public const int LengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordCountOffset = 57;
    public const int RecordsOffset = 61;

    /// <summary>Size of the fixed header: the smallest valid batch.</summary>
    public const int HeaderSize = 61;

    /// <summary>base_offset + batch_length: the bytes not counted by batch_length.</summary>
    public const int LogOverhead = 12;

    /// <summary>The only magic this broker stores.</summary>
    public const byte CurrentMagic = 2;
}
