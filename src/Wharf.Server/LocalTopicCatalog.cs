using System.Collections.Immutable;
using System.Text.Json;
using Wharf.Common;

namespace Wharf.Server;

/// <summary>
/// Single-node topic metadata kept in <c>&lt;data dir&gt;/metadata/topics.json</c>, rewritten whole on every change
/// (temp file, fsync, rename), together with the cluster id. Changes are serialised by a semaphore; readers read
/// an immutable snapshot. The metadata-log controller (design §6) replaces this file-backed store.
/// </summary>
public sealed class LocalTopicCatalog : ITopicCatalog
{
    private const int MaxPartitions = 10_000;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly string _path;
    private volatile ImmutableDictionary<string, TopicInfo> _topics;

    private LocalTopicCatalog(string path, string clusterId, ImmutableDictionary<string, TopicInfo> topics)
    {
        _path = path;
        ClusterId = clusterId;
        _topics = topics;
    }

    public event Action<IReadOnlyDictionary<string, TopicInfo>, IReadOnlyDictionary<string, TopicInfo>>? Changed;

    public string ClusterId { get; }

    public IReadOnlyDictionary<string, TopicInfo> Topics => _topics;

    /// <summary>Checks a topic's config overrides; returns null when valid, else why not (INVALID_CONFIG).</summary>
    public Func<IReadOnlyDictionary<string, string>, string?>? ConfigValidator { get; init; }

    public static LocalTopicCatalog Open(string dataDirectory, Func<IReadOnlyDictionary<string, string>, string?>? configValidator = null)
    {
        var directory = Path.Combine(dataDirectory, "metadata");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "topics.json");
        if (!File.Exists(path))
        {
            var catalog = new LocalTopicCatalog(path, NewClusterId(), ImmutableDictionary<string, TopicInfo>.Empty) { ConfigValidator = configValidator };
            catalog.Save(catalog._topics);
            return catalog;
        }

        var state = JsonSerializer.Deserialize<State>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty.");
        return new LocalTopicCatalog(path, state.ClusterId, state.Topics.ToImmutableDictionary(t => t.Name)) { ConfigValidator = configValidator };
    }

    public async Task<TopicResult> CreateTopicAsync(string name, int partitions, short replicationFactor, IReadOnlyDictionary<string, string?> configs, bool validateOnly, CancellationToken cancellationToken)
    {
        if (TopicNames.Validate(name) is { } invalid)
        {
            return new TopicResult(ErrorCode.InvalidTopicException, invalid);
        }

        if (partitions is <= 0 or > MaxPartitions)
        {
            return new TopicResult(ErrorCode.InvalidPartitions, $"Number of partitions must be between 1 and {MaxPartitions}.");
        }

        if (replicationFactor != 1)
        {
            return new TopicResult(ErrorCode.InvalidReplicationFactor, $"Replication factor {replicationFactor} is larger than the 1 available broker.");
        }

        var clean = configs.Where(c => c.Value is not null).ToImmutableDictionary(c => c.Key, c => c.Value!);
        if (ConfigValidator?.Invoke(clean) is { } configError)
        {
            return new TopicResult(ErrorCode.InvalidConfig, configError);
        }

        return await ChangeAsync(topics =>
        {
            if (topics.ContainsKey(name))
            {
                return (topics, new TopicResult(ErrorCode.TopicAlreadyExists, $"Topic '{name}' already exists."));
            }

            return (validateOnly ? topics : topics.Add(name, new TopicInfo(name, Guid.NewGuid(), partitions, clean)), TopicResult.Ok);
        }, cancellationToken);
    }

    public Task<TopicResult> DeleteTopicAsync(string name, CancellationToken cancellationToken) =>
        ChangeAsync(
            topics => topics.ContainsKey(name)
                ? (topics.Remove(name), TopicResult.Ok)
                : (topics, new TopicResult(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.")),
            cancellationToken);

    public Task<TopicResult> CreatePartitionsAsync(string name, int count, bool validateOnly, CancellationToken cancellationToken) =>
        ChangeAsync(
            topics =>
            {
                if (!topics.TryGetValue(name, out var topic))
                {
                    return (topics, new TopicResult(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist."));
                }

                if (count <= topic.PartitionCount || count > MaxPartitions)
                {
                    return (topics, new TopicResult(ErrorCode.InvalidPartitions, $"Topic '{name}' has {topic.PartitionCount} partitions; the new count must be larger and at most {MaxPartitions}."));
                }

                return (validateOnly ? topics : topics.SetItem(name, topic with { PartitionCount = count }), TopicResult.Ok);
            },
            cancellationToken);

    private async Task<TopicResult> ChangeAsync(Func<ImmutableDictionary<string, TopicInfo>, (ImmutableDictionary<string, TopicInfo> Next, TopicResult Result)> change, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        ImmutableDictionary<string, TopicInfo> before;
        ImmutableDictionary<string, TopicInfo> after;
        TopicResult result;
        try
        {
            before = _topics;
            (after, result) = change(before);
            if (ReferenceEquals(before, after))
            {
                return result;
            }

            Save(after);
            _topics = after;
        }
        finally
        {
            _writer.Release();
        }

        Changed?.Invoke(before, after);
        return result;
    }

    private void Save(ImmutableDictionary<string, TopicInfo> topics)
    {
        var temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, new State(ClusterId, [.. topics.Values.OrderBy(t => t.Name)]));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
    }

    /// <summary>A cluster id as Kafka prints them: 16 random bytes, URL-safe base64 without padding.</summary>
    private static string NewClusterId() =>
        Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record State(string ClusterId, List<TopicInfo> Topics);
}
