using System.Collections.Immutable;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// A change to cluster metadata. Records are the only way metadata changes: the controller appends them to the
/// <see cref="IMetadataLog"/> and every node replays them into its <see cref="MetadataImage"/>. Modelled on
/// KRaft's metadata records; the encoding is ours (<see cref="MetadataRecordSerializer"/>). Immutable.
/// </summary>
public abstract record MetadataRecord;

/// <summary>A topic exists with this name and id (KRaft <c>TopicRecord</c>). Its partitions follow as <see cref="PartitionRecord"/>s.</summary>
public sealed record TopicRecord(string Name, Guid TopicId) : MetadataRecord;

/// <summary>
/// The full state of one partition (KRaft <c>PartitionRecord</c>): replicas in preference order, the in-sync
/// replicas, the leader (-1 for none) and its epoch, and the partition epoch that every change bumps.
/// A later record for the same partition replaces the earlier one.
/// <para>
/// While a reassignment is in progress (KIP-455) <see cref="Replicas"/> is the target replicas followed by the ones
/// being removed, <see cref="AddingReplicas"/> the target replicas that were not replicas before and
/// <see cref="RemovingReplicas"/> the replicas that are not in the target; both are empty otherwise. They are init
/// properties (not constructor parameters) so that every partition without a reassignment is written as before.
/// </para>
/// </summary>
public sealed record PartitionRecord(
    Guid TopicId,
    int Partition,
    ImmutableArray<int> Replicas,
    ImmutableArray<int> Isr,
    int Leader,
    int LeaderEpoch,
    int PartitionEpoch) : MetadataRecord
{
    private readonly ImmutableArray<int> _addingReplicas = [];
    private readonly ImmutableArray<int> _removingReplicas = [];

    /// <summary>Replicas a reassignment in progress adds (in <see cref="Replicas"/>, not replicas before it); empty when none.</summary>
    public ImmutableArray<int> AddingReplicas
    {
        get => _addingReplicas;
        init => _addingReplicas = value.IsDefault ? [] : value;
    }

    /// <summary>Replicas a reassignment in progress removes (at the end of <see cref="Replicas"/>); empty when none.</summary>
    public ImmutableArray<int> RemovingReplicas
    {
        get => _removingReplicas;
        init => _removingReplicas = value.IsDefault ? [] : value;
    }

    public bool Equals(PartitionRecord? other) =>
        other is not null && TopicId == other.TopicId && Partition == other.Partition && Replicas.SequenceEqual(other.Replicas)
        && Isr.SequenceEqual(other.Isr) && Leader == other.Leader && LeaderEpoch == other.LeaderEpoch && PartitionEpoch == other.PartitionEpoch
        && AddingReplicas.SequenceEqual(other.AddingReplicas) && RemovingReplicas.SequenceEqual(other.RemovingReplicas);

    public override int GetHashCode() => HashCode.Combine(TopicId, Partition, Leader, LeaderEpoch, PartitionEpoch);
}

/// <summary>Sets (or, with a null value, removes) one config key of a topic, broker or group (KRaft <c>ConfigRecord</c>).</summary>
public sealed record ConfigRecord(ConfigResourceType ResourceType, string ResourceName, string Name, string? Value) : MetadataRecord;

/// <summary>The topic, its partitions and its config overrides are gone (KRaft <c>RemoveTopicRecord</c>).</summary>
public sealed record RemoveTopicRecord(Guid TopicId) : MetadataRecord;

/// <summary>
/// A block of producer ids was handed to a broker; the next block starts at <see cref="NextProducerId"/>
/// (KRaft <c>ProducerIdsRecord</c>). Ids below it are never handed out again.
/// </summary>
public sealed record ProducerIdsRecord(int BrokerId, long BrokerEpoch, long NextProducerId) : MetadataRecord;

/// <summary>A broker announced itself with the endpoints clients should use (KRaft <c>RegisterBrokerRecord</c>).</summary>
public sealed record RegisterBrokerRecord(int BrokerId, Guid IncarnationId, ImmutableArray<Listener> Endpoints, string? Rack) : MetadataRecord
{
    public bool Equals(RegisterBrokerRecord? other) =>
        other is not null && BrokerId == other.BrokerId && IncarnationId == other.IncarnationId
        && Endpoints.SequenceEqual(other.Endpoints) && Rack == other.Rack;

    public override int GetHashCode() => HashCode.Combine(BrokerId, IncarnationId, Rack);
}

/// <summary>
/// A registered broker was fenced (its session lease expired: it may be dead or cut off, and must not lead anything)
/// or unfenced (KRaft <c>BrokerRegistrationChangeRecord</c>). The controller writes it together with the leader
/// changes it implies. Applies only to the registration with <see cref="IncarnationId"/>; a newer registration of the
/// same node id is not affected.
/// </summary>
public sealed record BrokerRegistrationChangeRecord(int BrokerId, Guid IncarnationId, bool Fenced) : MetadataRecord;

/// <summary>Kafka's config resource types (<c>ConfigResource.Type</c>), wire values.</summary>
public enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Topic = 2,
    Broker = 4,
    BrokerLogger = 8,
    ClientMetrics = 16,
    Group = 32,
}
