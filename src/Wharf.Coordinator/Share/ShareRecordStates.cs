namespace Wharf.Coordinator.Share;

/// <summary>The state of one record in a share-partition's in-flight window (KIP-932; the numbers are the persisted ones).</summary>
public enum RecordState : byte
{
    /// <summary>Ready to be acquired by any member (new, released, or its lock expired).</summary>
    Available = 0,

    /// <summary>Locked to one member until it acknowledges or the lock expires.</summary>
    Acquired = 1,

    /// <summary>Accepted: processed, never delivered again.</summary>
    Acknowledged = 2,

    /// <summary>Done without being accepted: rejected, over the delivery limit, a gap, a control or aborted record.</summary>
    Archived = 4,
}

/// <summary>What a consumer says about records it acquired (ShareFetch/ShareAcknowledge <c>AcknowledgeTypes</c>).</summary>
public enum AcknowledgeType : byte
{
    /// <summary>The offset holds no record the consumer saw (a compacted-away or control record): archived.</summary>
    Gap = 0,

    /// <summary>Processed: the record leaves the queue.</summary>
    Accept = 1,

    /// <summary>Not processed: the record becomes available for another delivery (or archived at the delivery limit).</summary>
    Release = 2,

    /// <summary>Unprocessable: archived (and dead-lettered when the group has a dead-letter topic).</summary>
    Reject = 3,
}

/// <summary>Why a record was archived without being accepted: named in the dead-letter record's headers.</summary>
public enum ArchiveReason
{
    Rejected,
    DeliveryLimit,
}

/// <summary>A run of acquired offsets handed to one member (ShareFetch <c>AcquiredRecords</c>).</summary>
public readonly record struct AcquiredRange(long FirstOffset, long LastOffset, short DeliveryCount);

/// <summary>A record archived by failure (reject or delivery limit): what a dead-letter copy needs to name.</summary>
public readonly record struct ArchivedRecord(long Offset, short DeliveryCount, ArchiveReason Reason);

/// <summary>A run of offsets sharing one persisted state and delivery count (Kafka's share-state batch).</summary>
public readonly record struct StateBatch(long FirstOffset, long LastOffset, RecordState State, short DeliveryCount);
