using Microsoft.Extensions.Logging;

namespace Wharf.Storage;

/// <summary>
/// What a failed fsync does to a log. After fsync reports an error, the bytes written since the last successful
/// fsync may already be gone from the page cache (Linux marks the dirty pages clean and reports the error once; a
/// retried fsync then "succeeds" with the data lost — the PostgreSQL "fsyncgate" of 2018). So the log never tries
/// again: it goes <b>offline</b>, as Kafka takes a log directory offline on an I/O error. Offline is final for this
/// process: appends (leader and follower) and flushes throw <see cref="LogStorageException"/> (produce answers
/// KAFKA_STORAGE_ERROR), reads are served only below <see cref="RecoveryPoint"/> — bytes a successful fsync covered —
/// and a read at or above it throws the same error. The error is logged once, at Critical. A restart opens the log
/// from disk and recovers it from its checkpointed recovery point like after a crash (the clean-shutdown marker is not
/// written while a log is offline). A failed <i>write</i> is different: it is reported to the appender before
/// anything is published or acknowledged, and the bytes already written are untouched, so it leaves the log online.
/// Thread-safety: the offline reason is set once (compare-and-swap) and read without a lock.
/// </summary>
public sealed partial class Log
{
    private LogStorageException? _offline;

    /// <summary>Why the log is offline (the first failed fsync), or null while it is online.</summary>
    public LogStorageException? OfflineReason => Volatile.Read(ref _offline);

    /// <summary>True once an fsync of this log failed; see the remarks on this file.</summary>
    public bool IsOffline => OfflineReason is not null;

    /// <summary>Takes the log offline because <paramref name="operation"/> failed; returns the exception to throw.</summary>
    private LogStorageException GoOffline(string operation, Exception cause)
    {
        var failure = new LogStorageException(
            $"{TopicPartition}: {operation} failed ({cause.Message}); the log is offline until a restart recovers it from disk.", cause);
        if (Interlocked.CompareExchange(ref _offline, failure, null) is null)
        {
            _environment.Logger.LogCritical(cause,
                "{Partition}: {Operation} failed in {Directory}. Data written since the last successful fsync may be lost, so the log " +
                "is now OFFLINE: produce answers KAFKA_STORAGE_ERROR and reads stop at the recovery point {RecoveryPoint} " +
                "until a restart recovers the log from disk. Check the device and the kernel log.",
                TopicPartition, operation, Directory, RecoveryPoint);
        }

        return OfflineReason!;
    }

    /// <summary>Throws when the log is offline (an append or a flush must not pretend the data is safe).</summary>
    private void ThrowIfOffline()
    {
        if (OfflineReason is { } reason)
        {
            throw new LogStorageException(reason.Message, reason);
        }
    }

    /// <summary>The bound below which an offline log still serves reads; throws when <paramref name="offset"/> is not below it.</summary>
    private long OfflineReadBound(long offset, long bound)
    {
        if (OfflineReason is not { } reason)
        {
            return bound;
        }

        var recoveryPoint = RecoveryPoint;
        if (offset >= recoveryPoint)
        {
            throw new LogStorageException($"{reason.Message} Offsets from {recoveryPoint} on are not served.", reason);
        }

        return Math.Min(bound, recoveryPoint);
    }
}
