using Wharf.Records;

namespace Wharf.Coordinator.Runtime;

/// <summary>
/// One record of a coordinator partition as a shard writes and replays it: a key and a value (null: a tombstone) of a
/// data batch — transactional when it carries its producer (<see cref="IsTransactional"/>) — or a producer's
/// COMMIT/ABORT marker (<see cref="Marker"/>). Immutable.
/// <para>Invariant: records written as one batch share their producer, transactional flag and kind (all data, or one marker).</para>
/// </summary>
public readonly record struct CoordinatorRecord
{
    private CoordinatorRecord(byte[] key, byte[]? value, long producerId, short producerEpoch, bool isTransactional, EndTransactionMarker? marker)
    {
        Key = key;
        Value = value;
        ProducerId = producerId;
        ProducerEpoch = producerEpoch;
        IsTransactional = isTransactional;
        Marker = marker;
    }

    /// <summary>The record's key (empty for a marker).</summary>
    public byte[] Key { get; }

    /// <summary>The record's value; null is a tombstone.</summary>
    public byte[]? Value { get; }

    /// <summary>The producer of a transactional record or marker; -1 otherwise.</summary>
    public long ProducerId { get; }

    public short ProducerEpoch { get; }

    /// <summary>Whether the record belongs to a transaction: it counts only once the producer's COMMIT marker follows.</summary>
    public bool IsTransactional { get; }

    /// <summary>The COMMIT/ABORT marker, for a control record; null for data.</summary>
    public EndTransactionMarker? Marker { get; }

    /// <summary>A plain (non-transactional) record.</summary>
    public static CoordinatorRecord Data(byte[] key, byte[]? value) => new(key, value, -1, -1, false, null);

    /// <summary>A record of <paramref name="producerId"/>'s open transaction.</summary>
    public static CoordinatorRecord Transactional(long producerId, short producerEpoch, byte[] key, byte[]? value) =>
        new(key, value, producerId, producerEpoch, true, null);

    /// <summary>The producer's COMMIT or ABORT marker.</summary>
    public static CoordinatorRecord EndTransaction(long producerId, short producerEpoch, EndTransactionMarker marker) =>
        new([], null, producerId, producerEpoch, true, marker);
}
