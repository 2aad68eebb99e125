namespace Wharf.Coordinator;

/// <summary>
/// Settings of the group coordinator, named after Kafka's broker keys. Defaults are Kafka's, except
/// <c>group.initial.rebalance.delay.ms</c>, which is 0 (a single node has nobody to wait for).
/// </summary>
public sealed record GroupCoordinatorOptions
{
    /// <summary><c>offsets.topic.num.partitions</c>: a group lives in partition <c>abs(hash(group.id)) % this</c>.</summary>
    public int OffsetsTopicPartitions { get; init; } = 50;

    /// <summary><c>group.min.session.timeout.ms</c>.</summary>
    public TimeSpan MinSessionTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary><c>group.max.session.timeout.ms</c>.</summary>
    public TimeSpan MaxSessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary><c>group.initial.rebalance.delay.ms</c>: how long the first rebalance of an empty group waits for more members.</summary>
    public TimeSpan InitialRebalanceDelay { get; init; } = TimeSpan.Zero;

    /// <summary><c>group.max.size</c>: joins beyond it get GROUP_MAX_SIZE_REACHED.</summary>
    public int MaxGroupSize { get; init; } = int.MaxValue;

    /// <summary>
    /// Dynamic members that were handed a member id (MEMBER_ID_REQUIRED) but have not rejoined yet, per group. Bounds
    /// memory under a join storm; beyond it a join gets GROUP_MAX_SIZE_REACHED. Pending ids expire after the session timeout.
    /// </summary>
    public int MaxPendingMembers { get; init; } = 10_000;

    /// <summary>Longest accepted group id in UTF-16 characters; longer ones get INVALID_GROUP_ID (Kafka has no limit).</summary>
    public int MaxGroupIdLength { get; init; } = 1024;

    /// <summary><c>offsets.retention.minutes</c>: offsets of an empty group expire this long after it became empty.</summary>
    public TimeSpan OffsetsRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary><c>offsets.retention.check.interval.ms</c>.</summary>
    public TimeSpan OffsetsRetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>offset.metadata.max.bytes</c>: a longer commit metadata string gets OFFSET_METADATA_TOO_LARGE.</summary>
    public int OffsetMetadataMaxBytes { get; init; } = 4096;

    /// <summary>Whether a partition exists (commits to others get UNKNOWN_TOPIC_OR_PARTITION). Null accepts every partition.</summary>
    public Func<string, int, bool>? PartitionExists { get; init; }

    /// <summary>A topic's id and partition count by name, for share-group assignments; null (or a null answer) treats the topic as absent.</summary>
    public Func<string, (Guid TopicId, int Partitions)?>? TopicLookup { get; init; }

    /// <summary>The effective settings of a share group (broker defaults with its overrides); null uses the defaults.</summary>
    public Func<string, Share.ShareGroupSettings>? ShareGroupSettings { get; init; }

    /// <summary><c>group.share.max.size</c>: share-group joins beyond it get GROUP_MAX_SIZE_REACHED.</summary>
    public int MaxShareGroupSize { get; init; } = 200;
}
