namespace Wharf.Client;

/// <summary>
/// One record delivered to a share consumer, copied out of librdkafka's batch into managed memory, or, when
/// <see cref="Error"/> is set, a per-record error that librdkafka delivered in the batch in its place.
/// </summary>
/// <remarks>
/// Immutable. A record remembers the consumer that delivered it, because only that consumer can acknowledge it;
/// records built with the public constructor (for tests of application code) belong to no consumer.
/// </remarks>
public sealed class ShareRecord
{
    /// <summary>Creates a record that belongs to no consumer (for tests of code that handles records).</summary>
    public ShareRecord(
        string topic,
        int partition,
        long offset,
        byte[]? key,
        byte[]? value,
        IReadOnlyList<ShareHeader>? headers = null,
        DateTimeOffset? timestamp = null,
        RecordTimestampType timestampType = RecordTimestampType.NotAvailable,
        short deliveryCount = 0,
        ShareError? error = null)
        : this(owner: null, topic, partition, offset, key, value, headers ?? [], timestamp, timestampType, deliveryCount, error)
    {
    }

    internal ShareRecord(
        object? owner,
        string topic,
        int partition,
        long offset,
        byte[]? key,
        byte[]? value,
        IReadOnlyList<ShareHeader> headers,
        DateTimeOffset? timestamp,
        RecordTimestampType timestampType,
        short deliveryCount,
        ShareError? error)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Owner = owner;
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
        Value = value;
        Headers = headers;
        Timestamp = timestamp;
        TimestampType = timestampType;
        DeliveryCount = deliveryCount;
        Error = error;
    }

    /// <summary>The topic the record was read from.</summary>
    public string Topic { get; }

    /// <summary>The partition the record was read from.</summary>
    public int Partition { get; }

    /// <summary>The record's offset in its partition (for an error, the offset it concerns, when known).</summary>
    public long Offset { get; }

    /// <summary>The key, or null when the record has none (always null for an error).</summary>
    public byte[]? Key { get; }

    /// <summary>The value, or null for a tombstone (always null for an error).</summary>
    public byte[]? Value { get; }

    /// <summary>The headers in record order; a header's value may be null.</summary>
    public IReadOnlyList<ShareHeader> Headers { get; }

    /// <summary>The record's timestamp, or null when the batch carried none.</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>Whether <see cref="Timestamp"/> is the producer's create time or the broker's append time.</summary>
    public RecordTimestampType TimestampType { get; }

    /// <summary>
    /// How many times the share group has delivered this record, this delivery included (1 on first delivery);
    /// 0 when librdkafka does not know. The broker archives a record after
    /// <c>group.share.delivery.count.limit</c> deliveries.
    /// </summary>
    public short DeliveryCount { get; }

    /// <summary>
    /// Set when this entry is a per-record error rather than data (for example a corrupt batch). Topic, partition
    /// and offset still say where. In implicit mode librdkafka has already acknowledged it; in explicit mode it
    /// may be acknowledged like any other record.
    /// </summary>
    public ShareError? Error { get; }

    /// <summary>True when <see cref="Error"/> is set.</summary>
    public bool IsError => Error is not null;

    /// <summary>The consumer that delivered the record, or null.</summary>
    internal object? Owner { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        Error is null ? $"{Topic}-{Partition}@{Offset}" : $"{Topic}-{Partition}@{Offset}: {Error}";
}

/// <summary>A record header: a name and a value that may be null.</summary>
/// <param name="Name">The header's name.</param>
/// <param name="Value">The header's value, or null.</param>
public sealed record ShareHeader(string Name, byte[]? Value);

/// <summary>Which clock a record's timestamp comes from (librdkafka's <c>rd_kafka_timestamp_type_t</c>).</summary>
public enum RecordTimestampType
{
    /// <summary>The record has no timestamp.</summary>
    NotAvailable = 0,

    /// <summary>The producer's create time.</summary>
    CreateTime = 1,

    /// <summary>The broker's log-append time.</summary>
    LogAppendTime = 2,
}
