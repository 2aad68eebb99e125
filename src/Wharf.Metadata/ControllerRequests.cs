using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// One topic of a CreateTopics request. <see cref="NumPartitions"/> and <see cref="ReplicationFactor"/> of -1 mean
/// the broker defaults (<c>num.partitions</c>, <c>default.replication.factor</c>); <see cref="Assignments"/>
/// (partition index → replica ids) replaces both when given.
/// </summary>
public sealed record CreateTopicRequest(
    string Name,
    int NumPartitions = -1,
    short ReplicationFactor = -1,
    IReadOnlyList<KeyValuePair<string, string?>>? Configs = null,
    IReadOnlyDictionary<int, IReadOnlyList<int>>? Assignments = null);

/// <summary>
/// The outcome for one topic of CreateTopics. On success <see cref="Configs"/> holds every topic config with its
/// effective value and source (CreateTopics v5+ returns them); <see cref="TopicId"/> is empty for validate-only.
/// </summary>
public sealed record CreateTopicResult(
    string Name,
    Guid TopicId,
    ErrorCode Error,
    string? ErrorMessage,
    int NumPartitions,
    short ReplicationFactor,
    IReadOnlyList<ConfigEntry> Configs)
{
    internal static CreateTopicResult Failed(string name, ErrorCode error, string? message) => new(name, Guid.Empty, error, message, -1, -1, []);
}

/// <summary>A topic to delete: by <see cref="Name"/>, or by <see cref="TopicId"/> when the name is null (DeleteTopics v6+).</summary>
public readonly record struct TopicReference(string? Name, Guid TopicId)
{
    public static TopicReference ByName(string name) => new(name, Guid.Empty);

    public static TopicReference ById(Guid topicId) => new(null, topicId);
}

/// <summary>The outcome for one topic of DeleteTopics; name and id are both filled when the topic was found.</summary>
public sealed record DeleteTopicResult(string? Name, Guid TopicId, ErrorCode Error, string? ErrorMessage);

/// <summary>Grow a topic to <see cref="Count"/> partitions; <see cref="Assignments"/> gives the new partitions' replicas.</summary>
public sealed record CreatePartitionsRequest(string Name, int Count, IReadOnlyList<IReadOnlyList<int>>? Assignments = null);

public sealed record CreatePartitionsResult(string Name, ErrorCode Error, string? ErrorMessage);

/// <summary>AlterConfigs (legacy): <see cref="Configs"/> replaces every override of the resource.</summary>
public sealed record AlterConfigsResource(ConfigResourceType Type, string Name, IReadOnlyList<KeyValuePair<string, string?>> Configs);

/// <summary>IncrementalAlterConfigs operation, wire values.</summary>
public enum AlterConfigOperation : sbyte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

public sealed record AlterableConfig(string Name, AlterConfigOperation Operation, string? Value);

/// <summary>IncrementalAlterConfigs: <see cref="Configs"/> are applied to the resource's current overrides.</summary>
public sealed record IncrementalAlterConfigsResource(ConfigResourceType Type, string Name, IReadOnlyList<AlterableConfig> Configs);

/// <summary>The outcome for one resource of AlterConfigs / IncrementalAlterConfigs.</summary>
public sealed record AlterConfigsResult(ConfigResourceType Type, string Name, ErrorCode Error, string? ErrorMessage);

/// <summary>Producer ids <see cref="FirstProducerId"/> … <see cref="LastProducerId"/>, for <see cref="AssignedBrokerId"/> alone.</summary>
public readonly record struct ProducerIdBlock(int AssignedBrokerId, long FirstProducerId, int Size)
{
    public long LastProducerId => FirstProducerId + Size - 1;
}

/// <summary>The outcome of AllocateProducerIds: a block, or an error (not the controller, ids exhausted, storage failure).</summary>
public readonly record struct AllocateProducerIdsResult(ErrorCode Error, string? ErrorMessage, ProducerIdBlock Block);
