namespace Wharf.Coordinator.Share;

/// <summary>
/// The effective settings of one share group: the broker's <c>group.share.*</c> defaults with the group's own
/// overrides (IncrementalAlterConfigs on a GROUP resource) applied. Immutable; resolved per use, so an altered config
/// takes effect on the next acquisition or heartbeat.
/// </summary>
/// <param name="RecordLockDurationMs">How long an acquired record stays locked to its consumer (<c>group.share.record.lock.duration.ms</c>).</param>
/// <param name="DeliveryCountLimit">Deliveries after which a released or expired record is archived (<c>group.share.delivery.count.limit</c>).</param>
/// <param name="AutoOffsetReset">Where a new share-partition starts (<c>share.auto.offset.reset</c>).</param>
/// <param name="ReadCommitted">Whether aborted transactions are hidden and reads stop at the last stable offset (<c>share.isolation.level</c>).</param>
/// <param name="DeadLetterTopic">Where archived-by-failure records are copied before they are archived; null: nowhere (<c>group.share.dead.letter.topic</c>).</param>
/// <param name="HeartbeatIntervalMs">The heartbeat period members are told (<c>group.share.heartbeat.interval.ms</c>).</param>
/// <param name="SessionTimeoutMs">A member silent this long is removed (<c>group.share.session.timeout.ms</c>).</param>
/// <param name="MaxRecordLocks">At most this many records of one share-partition are acquired at once (<c>group.share.partition.max.record.locks</c>).</param>
public sealed record ShareGroupSettings(
    int RecordLockDurationMs = 30_000,
    int DeliveryCountLimit = 5,
    ShareOffsetReset AutoOffsetReset = ShareOffsetReset.Latest,
    bool ReadCommitted = false,
    string? DeadLetterTopic = null,
    int HeartbeatIntervalMs = 5_000,
    int SessionTimeoutMs = 45_000,
    int MaxRecordLocks = 2_000)
{
    public static ShareGroupSettings Default { get; } = new();
}

/// <summary>Where a share-partition without state starts (<c>share.auto.offset.reset</c>).</summary>
public enum ShareOffsetReset
{
    /// <summary>At the high watermark: only records produced from now on.</summary>
    Latest,

    /// <summary>At the log start: every record still in the log.</summary>
    Earliest,
}
