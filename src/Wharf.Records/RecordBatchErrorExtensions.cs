using Wharf.Common;

namespace Wharf.Records;

public static class RecordBatchErrorExtensions
{
    /// <summary>The Kafka error code a produce request gets for a batch rejected with <paramref name="error"/>.</summary>
    public static ErrorCode ToErrorCode(this RecordBatchError error) => error switch
    {
        RecordBatchError.None => ErrorCode.None,
        RecordBatchError.CrcMismatch => ErrorCode.CorruptMessage,
        RecordBatchError.Truncated => ErrorCode.CorruptMessage,
        RecordBatchError.LegacyMagic => ErrorCode.UnsupportedForMessageFormat,
        RecordBatchError.UnknownMagic => ErrorCode.UnsupportedForMessageFormat,
        RecordBatchError.UnknownCompression => ErrorCode.UnsupportedCompressionType,
        RecordBatchError.DecompressedSizeExceeded => ErrorCode.MessageTooLarge,
        _ => ErrorCode.InvalidRecord,
    };
}
