using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>Base of the storage layer's exceptions; <see cref="ErrorCode"/> is what a Kafka response carries.</summary>
public class LogException(ErrorCode errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode ErrorCode { get; } = errorCode;
}

/// <summary>A batch failed validation on append; nothing of that append was written.</summary>
public sealed class InvalidRecordBatchException(RecordBatchError error, string message)
    : LogException(error.ToErrorCode(), message)
{
    public RecordBatchError Error { get; } = error;
}

/// <summary>A batch is larger than <c>max.message.bytes</c>.</summary>
public sealed class RecordTooLargeException(string message) : LogException(ErrorCode.MessageTooLarge, message);

/// <summary>The requested offset is below the log start offset or above the log end offset.</summary>
public sealed class OffsetOutOfRangeException(string message) : LogException(ErrorCode.OffsetOutOfRange, message);

/// <summary>
/// An I/O failure (disk full, read-only file system, device error). The log stays readable up to what it
/// published before the failure; an append may be retried once the cause is fixed.
/// </summary>
public sealed class LogStorageException(string message, Exception? inner = null)
    : LogException(ErrorCode.KafkaStorageError, message, inner);
