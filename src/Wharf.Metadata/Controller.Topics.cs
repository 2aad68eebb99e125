using System.Collections.Immutable;
using Wharf.Common;

namespace Wharf.Metadata;

/// <summary>Topic operations: CreateTopics, DeleteTopics, CreatePartitions and auto-creation.</summary>
public sealed partial class Controller
{
    /// <summary>
    /// CreateTopics: validates each topic (name, existence, partitions, replication factor or assignments, configs)
    /// against the image plus the topics earlier in the request, and commits the accepted ones in one batch.
    /// With <paramref name="validateOnly"/> nothing is written and the topic ids are empty.
    /// </summary>
    public async Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreateTopicRequest> topics, bool validateOnly, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return topics.Select(t => CreateTopicResult.Failed(t.Name, ErrorCode.NotController, notController)).ToArray();
            }

            var duplicates = Duplicates(topics.Select(t => t.Name));
            var results = new CreateTopicResult[topics.Count];
            var working = Current;
            var records = new List<MetadataRecord>();
            var accepted = new List<int>();
            for (var i = 0; i < topics.Count; i++)
            {
                var request = topics[i];
                if (duplicates.Contains(request.Name))
                {
                    results[i] = CreateTopicResult.Failed(request.Name, ErrorCode.InvalidRequest, $"Topic '{request.Name}' appears more than once in the request.");
                    continue;
                }

                var (result, topicRecords) = PlanCreateTopic(working, request);
                if (result.Error != ErrorCode.None)
                {
                    results[i] = result;
                    continue;
                }

                foreach (var record in topicRecords)
                {
                    working = working.Apply(record);
                }

                records.AddRange(topicRecords);
                accepted.Add(i);
                results[i] = validateOnly ? result with { TopicId = Guid.Empty } : result;
            }

            if (!validateOnly && records.Count > 0)
            {
                var (error, message) = await CommitAsync(records).ConfigureAwait(false);
                if (error != ErrorCode.None)
                {
                    foreach (var i in accepted)
                    {
                        results[i] = CreateTopicResult.Failed(topics[i].Name, error, message);
                    }
                }
            }

            return results;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// For Metadata and Produce requests naming a missing topic: creates it with the broker defaults when
    /// <c>auto.create.topics.enable</c> is true (else UNKNOWN_TOPIC_OR_PARTITION); an existing topic (also one
    /// created concurrently) is a success describing it.
    /// </summary>
    public Task<CreateTopicResult> AutoCreateTopicAsync(string name, CancellationToken cancellationToken) =>
        AutoCreateRefusal(name) is { } refused ? Task.FromResult(refused) : EnsureTopicAsync(new CreateTopicRequest(name), cancellationToken);

    /// <summary>
    /// UNKNOWN_TOPIC_OR_PARTITION when <paramref name="name"/> does not exist and <c>auto.create.topics.enable</c> is
    /// false; null when auto-creation may go ahead (on this node or, forwarded, on the controller).
    /// </summary>
    public CreateTopicResult? AutoCreateRefusal(string name) =>
        !Current.TryGetTopic(name, out _) && !Config.AutoCreateTopicsEnable
            ? CreateTopicResult.Failed(name, ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist and auto.create.topics.enable is false.")
            : null;

    /// <summary>
    /// Creates a topic unless it exists, regardless of <c>auto.create.topics.enable</c> (internal topics such as
    /// <c>__consumer_offsets</c>). An existing topic is returned as a success and is not changed.
    /// </summary>
    public async Task<CreateTopicResult> EnsureTopicAsync(CreateTopicRequest request, CancellationToken cancellationToken)
    {
        if (Current.TryGetTopic(request.Name, out var existing))
        {
            return Describe(existing);
        }

        var result = (await CreateTopicsAsync([request], validateOnly: false, cancellationToken).ConfigureAwait(false))[0];
        return result.Error == ErrorCode.TopicAlreadyExists && Current.TryGetTopic(request.Name, out existing)
            ? Describe(existing)
            : result;
    }

    /// <summary>
    /// DeleteTopics by name or id: UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID for missing topics,
    /// TOPIC_DELETION_DISABLED when <c>delete.topic.enable</c> is false. Deleted topics leave the image (with their
    /// configs) in one committed batch; <see cref="ImageChanged"/> tells the broker to drop their logs.
    /// </summary>
    public async Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return topics.Select(t => new DeleteTopicResult(t.Name, t.TopicId, ErrorCode.NotController, notController)).ToArray();
            }

            if (!Config.DeleteTopicEnable)
            {
                return topics.Select(t => new DeleteTopicResult(t.Name, t.TopicId, ErrorCode.TopicDeletionDisabled, "Topic deletion is disabled (delete.topic.enable=false).")).ToArray();
            }

            var results = new DeleteTopicResult[topics.Count];
            var working = Current;
            var deleted = new HashSet<Guid>();
            var records = new List<MetadataRecord>();
            var accepted = new List<int>();
            for (var i = 0; i < topics.Count; i++)
            {
                var (name, id) = topics[i];
                TopicImage? topic;
                if (name is not null && id != Guid.Empty)
                {
                    results[i] = new DeleteTopicResult(name, id, ErrorCode.InvalidRequest, "Give a topic name or a topic id, not both.");
                    continue;
                }

                if (name is not null ? !Current.TryGetTopic(name, out topic) : !Current.TryGetTopic(id, out topic))
                {
                    results[i] = name is not null
                        ? new DeleteTopicResult(name, id, ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.")
                        : new DeleteTopicResult(null, id, ErrorCode.UnknownTopicId, $"Topic id {id} does not exist.");
                    continue;
                }

                if (TopicNames.IsCoordinatorStateTopic(topic.Name))
                {
                    // Kafka's broker deletes these if asked (only its command-line tool refuses); losing every group's
                    // offsets or every open transaction to a stray wildcard delete is never what anyone wants.
                    results[i] = new DeleteTopicResult(topic.Name, topic.TopicId, ErrorCode.InvalidRequest, $"Topic '{topic.Name}' is an internal topic of the coordinators and cannot be deleted.");
                    continue;
                }

                if (!deleted.Add(topic.TopicId))
                {
                    results[i] = new DeleteTopicResult(topic.Name, topic.TopicId, ErrorCode.InvalidRequest, $"Topic '{topic.Name}' appears more than once in the request.");
                    continue;
                }

                var record = new RemoveTopicRecord(topic.TopicId);
                working = working.Apply(record);
                records.Add(record);
                accepted.Add(i);
                results[i] = new DeleteTopicResult(topic.Name, topic.TopicId, ErrorCode.None, null);
            }

            await CommitAcceptedAsync(records, accepted, results, (i, error, message) => results[i] with { Error = error, ErrorMessage = message }).ConfigureAwait(false);

            return results;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// CreatePartitions: grows topics (never shrinks: INVALID_PARTITIONS), new partitions placed like the topic's
    /// existing ones or as <see cref="CreatePartitionsRequest.Assignments"/> say.
    /// </summary>
    public async Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsRequest> topics, bool validateOnly, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return topics.Select(t => new CreatePartitionsResult(t.Name, ErrorCode.NotController, notController)).ToArray();
            }

            var duplicates = Duplicates(topics.Select(t => t.Name));
            var results = new CreatePartitionsResult[topics.Count];
            var records = new List<MetadataRecord>();
            var accepted = new List<int>();
            for (var i = 0; i < topics.Count; i++)
            {
                var request = topics[i];
                var (error, message, partitionRecords) = duplicates.Contains(request.Name)
                    ? (ErrorCode.InvalidRequest, $"Topic '{request.Name}' appears more than once in the request.", [])
                    : PlanCreatePartitions(Current, request);
                results[i] = new CreatePartitionsResult(request.Name, error, message);
                if (error == ErrorCode.None)
                {
                    records.AddRange(partitionRecords);
                    accepted.Add(i);
                }
            }

            if (!validateOnly && records.Count > 0)
            {
                var (error, message) = await CommitAsync(records).ConfigureAwait(false);
                if (error != ErrorCode.None)
                {
                    foreach (var i in accepted)
                    {
                        results[i] = new CreatePartitionsResult(topics[i].Name, error, message);
                    }
                }
            }

            return results;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>A success result describing an existing topic (as CreateTopics v5+ does).</summary>
    public CreateTopicResult Describe(TopicImage topic) => new(
        topic.Name, topic.TopicId, ErrorCode.None, null, topic.PartitionCount, (short)topic.ReplicationFactor,
        TopicConfigs.Describe(Current.GetTopicConfigs(topic.Name)));

    private (CreateTopicResult Result, List<MetadataRecord> Records) PlanCreateTopic(MetadataImage image, CreateTopicRequest request)
    {
        (CreateTopicResult, List<MetadataRecord>) Fail(ErrorCode error, string message) => (CreateTopicResult.Failed(request.Name, error, message), []);

        if (TopicNames.Validate(request.Name) is { } invalidName)
        {
            return Fail(ErrorCode.InvalidTopicException, invalidName);
        }

        if (image.TryGetTopic(request.Name, out _))
        {
            return Fail(ErrorCode.TopicAlreadyExists, $"Topic '{request.Name}' already exists.");
        }

        var collisionKey = TopicNames.CollisionKey(request.Name);
        if (collisionKey != request.Name || request.Name.Contains('_'))
        {
            var colliding = image.TopicsByName.Keys.FirstOrDefault(n => TopicNames.CollisionKey(n) == collisionKey);
            if (colliding is not null)
            {
                return Fail(ErrorCode.InvalidTopicException, $"Topic '{request.Name}' collides with existing topic '{colliding}' ('.' and '_' are treated alike).");
            }
        }

        var brokers = BrokerIds(image);
        List<ImmutableArray<int>> placement;
        if (request.Assignments is { Count: > 0 } assignments)
        {
            if (request.NumPartitions != -1 || request.ReplicationFactor != -1)
            {
                return Fail(ErrorCode.InvalidRequest, "Give either a partition count and replication factor or replica assignments, not both.");
            }

            if (!Enumerable.Range(0, assignments.Count).All(assignments.ContainsKey))
            {
                return Fail(ErrorCode.InvalidReplicaAssignment, "Replica assignments must cover partitions 0 to n-1 without gaps.");
            }

            placement = Enumerable.Range(0, assignments.Count).Select(p => assignments[p].ToImmutableArray()).ToList();
            if (ValidateAssignments(placement, brokers, placement[0].Length) is { } badAssignment)
            {
                return Fail(ErrorCode.InvalidReplicaAssignment, badAssignment);
            }
        }
        else
        {
            var partitions = request.NumPartitions == -1 ? Config.NumPartitions : request.NumPartitions;
            int replicationFactor = request.ReplicationFactor == -1
                ? DefaultReplicationFactor.For(Config, "default.replication.factor", image)
                : request.ReplicationFactor;
            if (partitions <= 0 || partitions > _options.MaxPartitionsPerTopic)
            {
                return Fail(ErrorCode.InvalidPartitions, $"Number of partitions must be between 1 and {_options.MaxPartitionsPerTopic}, or -1 for the default; got {partitions}.");
            }

            if (replicationFactor <= 0)
            {
                return Fail(ErrorCode.InvalidReplicationFactor, $"Replication factor must be positive, or -1 for the default; got {replicationFactor}.");
            }

            if (replicationFactor > brokers.Length)
            {
                return Fail(ErrorCode.InvalidReplicationFactor,
                    $"Replication factor {replicationFactor} cannot be reached: only {brokers.Length} broker(s) are registered.");
            }

            placement = Place(image, 0, partitions, replicationFactor);
        }

        var configs = request.Configs ?? [];
        var validation = TopicConfigs.Validate(configs);
        if (!validation.IsValid)
        {
            return Fail(validation.Error, validation.Message ?? "Invalid topic config.");
        }

        var topicId = NewTopicId(image);
        var records = new List<MetadataRecord> { new TopicRecord(request.Name, topicId) };
        records.AddRange(placement.Select((replicas, p) => NewPartition(topicId, p, replicas)));
        records.AddRange(configs.Select(c => new ConfigRecord(ConfigResourceType.Topic, request.Name, c.Key, c.Value!.Trim())));
        var overrides = configs.ToDictionary(c => c.Key, c => c.Value!.Trim(), StringComparer.Ordinal);
        var result = new CreateTopicResult(request.Name, topicId, ErrorCode.None, null, placement.Count, (short)placement[0].Length, TopicConfigs.Describe(overrides));
        return (result, records);
    }

    private (ErrorCode Error, string? Message, List<MetadataRecord> Records) PlanCreatePartitions(MetadataImage image, CreatePartitionsRequest request)
    {
        if (!image.TryGetTopic(request.Name, out var topic))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"Topic '{request.Name}' does not exist.", []);
        }

        var current = topic.PartitionCount;
        if (request.Count == current)
        {
            return (ErrorCode.InvalidPartitions, $"Topic '{request.Name}' already has {current} partitions.", []);
        }

        if (request.Count < current)
        {
            return (ErrorCode.InvalidPartitions, $"Topic '{request.Name}' has {current} partitions, more than the requested {request.Count}; partitions cannot be removed.", []);
        }

        if (request.Count > _options.MaxPartitionsPerTopic)
        {
            return (ErrorCode.InvalidPartitions, $"Number of partitions must be at most {_options.MaxPartitionsPerTopic}; got {request.Count}.", []);
        }

        var brokers = BrokerIds(image);
        var replicationFactor = topic.ReplicationFactor;
        List<ImmutableArray<int>> placement;
        if (request.Assignments is { } assignments)
        {
            if (assignments.Count != request.Count - current)
            {
                return (ErrorCode.InvalidReplicaAssignment, $"Expected replica assignments for {request.Count - current} new partitions; got {assignments.Count}.", []);
            }

            placement = assignments.Select(a => a.ToImmutableArray()).ToList();
            if (ValidateAssignments(placement, brokers, replicationFactor) is { } badAssignment)
            {
                return (ErrorCode.InvalidReplicaAssignment, badAssignment, []);
            }
        }
        else
        {
            if (replicationFactor > brokers.Length)
            {
                return (ErrorCode.InvalidReplicationFactor, $"Replication factor {replicationFactor} cannot be reached: only {brokers.Length} broker(s) are registered.", []);
            }

            placement = Place(image, current, request.Count - current, replicationFactor);
        }

        return (ErrorCode.None, null, placement.Select((replicas, i) => (MetadataRecord)NewPartition(topic.TopicId, current + i, replicas)).ToList());
    }

    /// <summary>Null when every partition lists <paramref name="replicationFactor"/> distinct registered brokers.</summary>
    private static string? ValidateAssignments(List<ImmutableArray<int>> placement, ImmutableArray<int> brokers, int replicationFactor)
    {
        foreach (var replicas in placement)
        {
            if (replicas.IsDefaultOrEmpty)
            {
                return "Every partition needs at least one replica.";
            }

            if (replicas.Length != replicationFactor)
            {
                return $"Every partition needs the same number of replicas ({replicationFactor}).";
            }

            if (replicas.Distinct().Count() != replicas.Length)
            {
                return $"Replica list [{string.Join(", ", replicas)}] names a broker twice.";
            }

            if (replicas.Where(r => !brokers.Contains(r)).Select(r => (int?)r).FirstOrDefault() is { } unknown)
            {
                return $"Broker {unknown} is not registered.";
            }
        }

        return null;
    }

    /// <summary>Placement over the live brokers (<see cref="ReplicaPlacer"/>); before any registration, on this node.</summary>
    private List<ImmutableArray<int>> Place(MetadataImage image, int firstPartition, int count, int replicationFactor) =>
        image.LiveBrokers.ToList() is { Count: > 0 } live
            ? ReplicaPlacer.Place(live, firstPartition, count, replicationFactor)
            : [.. Enumerable.Range(firstPartition, count).Select(_ => ImmutableArray.Create(Config.NodeId))];

    private static PartitionRecord NewPartition(Guid topicId, int partition, ImmutableArray<int> replicas) =>
        new(topicId, partition, replicas, replicas, replicas[0], LeaderEpoch: 0, PartitionEpoch: 0);

    private static HashSet<string> Duplicates(IEnumerable<string> names) =>
        names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
}
