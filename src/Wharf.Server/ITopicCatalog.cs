using Wharf.Common;

namespace Wharf.Server;

/// <summary>A topic as the request handlers see it.</summary>
public sealed record TopicInfo(string Name, Guid TopicId, int PartitionCount, IReadOnlyDictionary<string, string> Configs);

/// <summary>The outcome of one topic operation: an error code and, on failure, a message for the client.</summary>
public readonly record struct TopicResult(ErrorCode Error, string? Message = null)
{
    public static TopicResult Ok => new(ErrorCode.None);
}

/// <summary>
/// The handlers' port to cluster metadata: which topics exist, and the changes that go through the controller.
/// Thread-safety: implementations are safe from any thread; <see cref="Topics"/> is an immutable snapshot.
/// </summary>
public interface ITopicCatalog
{
    string ClusterId { get; }

    IReadOnlyDictionary<string, TopicInfo> Topics { get; }

    Task<TopicResult> CreateTopicAsync(string name, int partitions, short replicationFactor, IReadOnlyDictionary<string, string?> configs, bool validateOnly, CancellationToken cancellationToken);

    Task<TopicResult> DeleteTopicAsync(string name, CancellationToken cancellationToken);

    Task<TopicResult> CreatePartitionsAsync(string name, int count, bool validateOnly, CancellationToken cancellationToken);

    /// <summary>Raised after a change, with the topics before and after.</summary>
    event Action<IReadOnlyDictionary<string, TopicInfo>, IReadOnlyDictionary<string, TopicInfo>>? Changed;
}
