using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// One partition as the metadata log last described it. During a reassignment (<see cref="IsReassigning"/>)
/// <see cref="Replicas"/> holds the target replicas followed by the ones being removed, so every replica that holds or
/// will hold the data is listed (Metadata answers name them all); <see cref="AddingReplicas"/> and
/// <see cref="RemovingReplicas"/> tell them apart. Immutable.
/// </summary>
public sealed record PartitionImage(int Partition, ImmutableArray<int> Replicas, ImmutableArray<int> Isr, int Leader, int LeaderEpoch, int PartitionEpoch)
{
    private readonly ImmutableArray<int> _addingReplicas = [];
    private readonly ImmutableArray<int> _removingReplicas = [];

    /// <summary>Replicas a reassignment in progress adds; empty when none is.</summary>
    public ImmutableArray<int> AddingReplicas
    {
        get => _addingReplicas;
        init => _addingReplicas = value.IsDefault ? [] : value;
    }

    /// <summary>Replicas a reassignment in progress removes; empty when none is.</summary>
    public ImmutableArray<int> RemovingReplicas
    {
        get => _removingReplicas;
        init => _removingReplicas = value.IsDefault ? [] : value;
    }

    /// <summary>True while a reassignment of this partition is in progress.</summary>
    public bool IsReassigning => !AddingReplicas.IsEmpty || !RemovingReplicas.IsEmpty;

    /// <summary>The replicas once the reassignment in progress completes (<see cref="Replicas"/> when none is).</summary>
    public ImmutableArray<int> TargetReplicas => RemovingReplicas.IsEmpty ? Replicas : [.. Replicas.Where(r => !RemovingReplicas.Contains(r))];

    /// <summary>The replicas before the reassignment in progress began (<see cref="Replicas"/> when none is).</summary>
    public ImmutableArray<int> OriginalReplicas => AddingReplicas.IsEmpty ? Replicas : [.. Replicas.Where(r => !AddingReplicas.Contains(r))];

    /// <summary>The record that describes this partition of topic <paramref name="topicId"/>.</summary>
    public PartitionRecord ToRecord(Guid topicId) => new(topicId, Partition, Replicas, Isr, Leader, LeaderEpoch, PartitionEpoch)
    {
        AddingReplicas = AddingReplicas,
        RemovingReplicas = RemovingReplicas,
    };

    public bool Equals(PartitionImage? other) =>
        other is not null && Partition == other.Partition && Replicas.SequenceEqual(other.Replicas) && Isr.SequenceEqual(other.Isr)
        && Leader == other.Leader && LeaderEpoch == other.LeaderEpoch && PartitionEpoch == other.PartitionEpoch
        && AddingReplicas.SequenceEqual(other.AddingReplicas) && RemovingReplicas.SequenceEqual(other.RemovingReplicas);

    public override int GetHashCode() => HashCode.Combine(Partition, Leader, LeaderEpoch, PartitionEpoch);
}

/// <summary>A topic: name, id and partitions by index (0 … <see cref="PartitionCount"/> - 1).</summary>
public sealed record TopicImage(string Name, Guid TopicId, ImmutableSortedDictionary<int, PartitionImage> Partitions)
{
    public int PartitionCount => Partitions.Count;

    /// <summary>
    /// Replicas per partition, taken from partition 0 (every partition has the same count); during a reassignment of
    /// partition 0, its target's count.
    /// </summary>
    public int ReplicationFactor => Partitions.IsEmpty ? 0 : Partitions.First().Value.TargetReplicas.Length;

    /// <summary>Internal topics (<c>__consumer_offsets</c>, <c>__transaction_state</c>) start with two underscores.</summary>
    public bool IsInternal => Name.StartsWith("__", StringComparison.Ordinal);
}

/// <summary>
/// A registered broker and the endpoints it advertises to clients. A <see cref="Fenced"/> broker lost its session: it
/// leads nothing, is not offered to clients and gets no new replicas until it registers again.
/// </summary>
public sealed record BrokerRegistration(int NodeId, Guid IncarnationId, ImmutableArray<Listener> Endpoints, string? Rack, bool Fenced = false)
{
    public bool Equals(BrokerRegistration? other) =>
        other is not null && NodeId == other.NodeId && IncarnationId == other.IncarnationId && Endpoints.SequenceEqual(other.Endpoints)
        && Rack == other.Rack && Fenced == other.Fenced;

    public override int GetHashCode() => HashCode.Combine(NodeId, IncarnationId, Rack, Fenced);
}

/// <summary>
/// The cluster's metadata at one offset of the metadata log: brokers, topics (by name and by id) with their
/// partitions, config overrides (of topics, brokers and groups), and the producer-id high-water mark. Immutable:
/// <see cref="Apply(MetadataRecord)"/> returns a new image sharing unchanged parts, so readers hold an image for as long
/// as they like while the controller publishes newer ones. Thread-safety: immutable.
/// </summary>
public sealed class MetadataImage
{
    private static readonly ImmutableDictionary<string, string> NoConfigs = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    private MetadataImage(
        string clusterId,
        int nodeId,
        int controllerId,
        long offset,
        ImmutableDictionary<int, BrokerRegistration> brokers,
        ImmutableDictionary<string, TopicImage> topicsByName,
        ImmutableDictionary<Guid, TopicImage> topicsById,
        ImmutableDictionary<string, ImmutableDictionary<string, string>> topicConfigs,
        ImmutableDictionary<string, ImmutableDictionary<string, string>> brokerConfigs,
        ImmutableDictionary<string, ImmutableDictionary<string, string>> groupConfigs,
        long nextProducerId)
    {
        ClusterId = clusterId;
        NodeId = nodeId;
        ControllerId = controllerId;
        Offset = offset;
        Brokers = brokers;
        TopicsByName = topicsByName;
        TopicsById = topicsById;
        TopicConfigs = topicConfigs;
        BrokerConfigs = brokerConfigs;
        GroupConfigs = groupConfigs;
        NextProducerId = nextProducerId;
    }

    public string ClusterId { get; }

    /// <summary>The node this image lives on.</summary>
    public int NodeId { get; }

    /// <summary>The active controller's node id (single node: <see cref="NodeId"/>).</summary>
    public int ControllerId { get; }

    /// <summary>The offset of the last record applied; -1 for an empty log.</summary>
    public long Offset { get; }

    public ImmutableDictionary<int, BrokerRegistration> Brokers { get; }

    public ImmutableDictionary<string, TopicImage> TopicsByName { get; }

    public ImmutableDictionary<Guid, TopicImage> TopicsById { get; }

    /// <summary>Config overrides by topic name; a topic without overrides has no entry.</summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, string>> TopicConfigs { get; }

    /// <summary>Dynamic broker config overrides by broker id text ("" for the cluster default). Not settable yet.</summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, string>> BrokerConfigs { get; }

    /// <summary>
    /// Config overrides by group id (resource type GROUP); a group without overrides has no entry. Independent of the
    /// group's existence: a group may be configured before its first member joins, and the overrides outlive it.
    /// </summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, string>> GroupConfigs { get; }

    /// <summary>The first producer id of the next block; ids below it were handed out.</summary>
    public long NextProducerId { get; }

    /// <summary>This node's registration, once it has registered.</summary>
    public BrokerRegistration? LocalBroker => Brokers.GetValueOrDefault(NodeId);

    /// <summary>Registered brokers that are not fenced, by node id: the ones that may lead and get new replicas.</summary>
    public IEnumerable<BrokerRegistration> LiveBrokers => Brokers.Values.Where(b => !b.Fenced).OrderBy(b => b.NodeId);

    /// <summary>True when broker <paramref name="nodeId"/> is registered and not fenced.</summary>
    public bool IsLive(int nodeId) => Brokers.TryGetValue(nodeId, out var broker) && !broker.Fenced;

    /// <summary>An image before any record.</summary>
    public static MetadataImage Empty(string clusterId, int nodeId, int controllerId) => new(
        clusterId, nodeId, controllerId, -1,
        ImmutableDictionary<int, BrokerRegistration>.Empty,
        ImmutableDictionary.Create<string, TopicImage>(StringComparer.Ordinal),
        ImmutableDictionary<Guid, TopicImage>.Empty,
        ImmutableDictionary.Create<string, ImmutableDictionary<string, string>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableDictionary<string, string>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableDictionary<string, string>>(StringComparer.Ordinal),
        0);

    public bool TryGetTopic(string name, [NotNullWhen(true)] out TopicImage? topic) => TopicsByName.TryGetValue(name, out topic);

    public bool TryGetTopic(Guid topicId, [NotNullWhen(true)] out TopicImage? topic) => TopicsById.TryGetValue(topicId, out topic);

    public bool TryGetPartition(TopicPartition partition, [NotNullWhen(true)] out PartitionImage? image)
    {
        image = null;
        return TopicsByName.TryGetValue(partition.Topic, out var topic) && topic.Partitions.TryGetValue(partition.Partition, out image);
    }

    /// <summary>A topic's config overrides (empty when none).</summary>
    public ImmutableDictionary<string, string> GetTopicConfigs(string topic) => TopicConfigs.GetValueOrDefault(topic, NoConfigs);

    /// <summary>A group's config overrides (empty when none), by group id.</summary>
    public ImmutableDictionary<string, string> GetGroupConfigs(string group) => GroupConfigs.GetValueOrDefault(group, NoConfigs);

    /// <summary>The image after <paramref name="batch"/>, at its last offset.</summary>
    /// <exception cref="InvalidDataException">a record does not fit the image (corrupt log or a controller bug).</exception>
    public MetadataImage Apply(MetadataBatch batch)
    {
        var image = this;
        foreach (var record in batch.Records)
        {
            image = image.Apply(record);
        }

        return image.WithOffset(batch.LastOffset);
    }

    /// <summary>The image after one record (the offset is unchanged; see <see cref="WithOffset"/>).</summary>
    /// <exception cref="InvalidDataException">a record does not fit the image (corrupt log or a controller bug).</exception>
    public MetadataImage Apply(MetadataRecord record) => record switch
    {
        TopicRecord r => ApplyTopic(r),
        PartitionRecord r => ApplyPartition(r),
        ConfigRecord r => ApplyConfig(r),
        RemoveTopicRecord r => ApplyRemoveTopic(r),
        ProducerIdsRecord r => With(nextProducerId: Math.Max(NextProducerId, r.NextProducerId)),
        RegisterBrokerRecord r => With(brokers: Brokers.SetItem(r.BrokerId, new BrokerRegistration(r.BrokerId, r.IncarnationId, r.Endpoints, r.Rack))),
        BrokerRegistrationChangeRecord r => Brokers.TryGetValue(r.BrokerId, out var broker) && broker.IncarnationId == r.IncarnationId
            ? With(brokers: Brokers.SetItem(r.BrokerId, broker with { Fenced = r.Fenced }))
            : this,
        _ => throw new InvalidDataException($"Unknown metadata record {record.GetType().Name}."),
    };

    public MetadataImage WithOffset(long offset) => With(offset: offset);

    /// <summary>Records that rebuild this image from <see cref="Empty"/>: the content of a snapshot.</summary>
    public IReadOnlyList<MetadataRecord> ToRecords()
    {
        var records = new List<MetadataRecord>();
        foreach (var broker in Brokers.Values.OrderBy(b => b.NodeId))
        {
            records.Add(new RegisterBrokerRecord(broker.NodeId, broker.IncarnationId, broker.Endpoints, broker.Rack));
            if (broker.Fenced)
            {
                records.Add(new BrokerRegistrationChangeRecord(broker.NodeId, broker.IncarnationId, Fenced: true));
            }
        }

        foreach (var topic in TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            records.Add(new TopicRecord(topic.Name, topic.TopicId));
            records.AddRange(topic.Partitions.Values.Select(p => p.ToRecord(topic.TopicId)));
        }

        foreach (var (topic, configs) in TopicConfigs.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            records.AddRange(configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new ConfigRecord(ConfigResourceType.Topic, topic, c.Key, c.Value)));
        }

        foreach (var (broker, configs) in BrokerConfigs.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            records.AddRange(configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new ConfigRecord(ConfigResourceType.Broker, broker, c.Key, c.Value)));
        }

        foreach (var (group, configs) in GroupConfigs.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            records.AddRange(configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new ConfigRecord(ConfigResourceType.Group, group, c.Key, c.Value)));
        }

        if (NextProducerId > 0)
        {
            records.Add(new ProducerIdsRecord(ControllerId, -1, NextProducerId));
        }

        return records;
    }

    private MetadataImage ApplyTopic(TopicRecord r)
    {
        if (TopicsByName.ContainsKey(r.Name) || TopicsById.ContainsKey(r.TopicId))
        {
            throw new InvalidDataException($"TopicRecord for '{r.Name}' ({r.TopicId}): a topic with that name or id exists.");
        }

        var topic = new TopicImage(r.Name, r.TopicId, ImmutableSortedDictionary<int, PartitionImage>.Empty);
        return With(topicsByName: TopicsByName.Add(r.Name, topic), topicsById: TopicsById.Add(r.TopicId, topic));
    }

    private MetadataImage ApplyPartition(PartitionRecord r)
    {
        if (!TopicsById.TryGetValue(r.TopicId, out var topic))
        {
            throw new InvalidDataException($"PartitionRecord {r.Partition} for unknown topic id {r.TopicId}.");
        }

        var partition = new PartitionImage(r.Partition, r.Replicas, r.Isr, r.Leader, r.LeaderEpoch, r.PartitionEpoch)
        {
            AddingReplicas = r.AddingReplicas,
            RemovingReplicas = r.RemovingReplicas,
        };
        var updated = topic with { Partitions = topic.Partitions.SetItem(r.Partition, partition) };
        return With(topicsByName: TopicsByName.SetItem(topic.Name, updated), topicsById: TopicsById.SetItem(topic.TopicId, updated));
    }

    private MetadataImage ApplyConfig(ConfigRecord r)
    {
        static ImmutableDictionary<string, ImmutableDictionary<string, string>> Change(
            ImmutableDictionary<string, ImmutableDictionary<string, string>> all, ConfigRecord r)
        {
            var configs = all.GetValueOrDefault(r.ResourceName, NoConfigs);
            configs = r.Value is null ? configs.Remove(r.Name) : configs.SetItem(r.Name, r.Value);
            return configs.IsEmpty ? all.Remove(r.ResourceName) : all.SetItem(r.ResourceName, configs);
        }

        return r.ResourceType switch
        {
            ConfigResourceType.Topic => With(topicConfigs: Change(TopicConfigs, r)),
            ConfigResourceType.Broker => With(brokerConfigs: Change(BrokerConfigs, r)),
            ConfigResourceType.Group => With(groupConfigs: Change(GroupConfigs, r)),
            _ => this,
        };
    }

    private MetadataImage ApplyRemoveTopic(RemoveTopicRecord r)
    {
        if (!TopicsById.TryGetValue(r.TopicId, out var topic))
        {
            throw new InvalidDataException($"RemoveTopicRecord for unknown topic id {r.TopicId}.");
        }

        return With(
            topicsByName: TopicsByName.Remove(topic.Name),
            topicsById: TopicsById.Remove(topic.TopicId),
            topicConfigs: TopicConfigs.Remove(topic.Name));
    }

    private MetadataImage With(
        long? offset = null,
        ImmutableDictionary<int, BrokerRegistration>? brokers = null,
        ImmutableDictionary<string, TopicImage>? topicsByName = null,
        ImmutableDictionary<Guid, TopicImage>? topicsById = null,
        ImmutableDictionary<string, ImmutableDictionary<string, string>>? topicConfigs = null,
        ImmutableDictionary<string, ImmutableDictionary<string, string>>? brokerConfigs = null,
        ImmutableDictionary<string, ImmutableDictionary<string, string>>? groupConfigs = null,
        long? nextProducerId = null) => new(
        ClusterId,
        NodeId,
        ControllerId,
        offset ?? Offset,
        brokers ?? Brokers,
        topicsByName ?? TopicsByName,
        topicsById ?? TopicsById,
        topicConfigs ?? TopicConfigs,
        brokerConfigs ?? BrokerConfigs,
        groupConfigs ?? GroupConfigs,
        nextProducerId ?? NextProducerId);
}
