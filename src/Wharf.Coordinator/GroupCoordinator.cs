using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Coordinator.Group;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator;

/// <summary>
/// The classic-protocol group coordinator: routes each group to the shard of its <c>__consumer_offsets</c> partition
/// (<see cref="PartitionFor(string, int)"/>, as Kafka computes it) and validates what every API shares (the group id, the shard
/// being loaded here). Requests return Kafka response messages; handlers only adapt versions.
/// <para>
/// Lifecycle: construct, then <see cref="LoadAsync"/> each partition this broker leads (replays it); <see cref="Unload"/>
/// a partition when leadership moves away; <see cref="Dispose"/> unloads all.
/// </para>
/// Thread-safety: all members are safe from any thread; each shard serialises its own events (see
/// <see cref="GroupCoordinatorShard"/>).
/// </summary>
public sealed class GroupCoordinator : IDisposable
{
    private readonly GroupCoordinatorShard[] _shards;
    private readonly GroupCoordinatorOptions _options;

    public GroupCoordinator(IPartitionWriter writer, GroupCoordinatorOptions options, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.OffsetsTopicPartitions, 1);
        _options = options;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GroupCoordinator>();
        _shards = [.. Enumerable.Range(0, options.OffsetsTopicPartitions).Select(p => new GroupCoordinatorShard(p, writer, options, time, logger))];
    }

    /// <summary>The name of the internal topic that holds group state.</summary>
    public const string OffsetsTopic = "__consumer_offsets";

    public int PartitionCount => _shards.Length;

    /// <summary>Kafka's mapping: <c>Utils.abs(groupId.hashCode()) % partitions</c> with Java's String.hashCode.</summary>
    public static int PartitionFor(string groupId, int partitions)
    {
        var hash = 0;
        foreach (var c in groupId)
        {
            hash = unchecked((31 * hash) + c);
        }

        var abs = hash == int.MinValue ? 0 : Math.Abs(hash);
        return abs % partitions;
    }

    public int PartitionFor(string groupId) => PartitionFor(groupId, _shards.Length);

    /// <summary>Replays <paramref name="partition"/> and starts serving its groups; returns how many it loaded.</summary>
    public Task<int> LoadAsync(int partition, CancellationToken cancellationToken = default) => _shards[partition].LoadAsync(cancellationToken);

    public Task LoadAllAsync(CancellationToken cancellationToken = default) => Task.WhenAll(_shards.Select(s => s.LoadAsync(cancellationToken)));

    public void Unload(int partition) => _shards[partition].Unload();

    /// <summary>
    /// For FindCoordinator: None when this node serves the group now; COORDINATOR_LOAD_IN_PROGRESS while its partition
    /// is replayed; NOT_COORDINATOR when it is not loaded here; INVALID_GROUP_ID for an empty or oversized id.
    /// </summary>
    public ErrorCode CoordinatorStatus(string groupId) => ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None ? invalid : Shard(groupId).Status;

    public Task<JoinGroupResponse> JoinGroupAsync(JoinGroupRequest request, short version, string clientId, string clientHost) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new JoinGroupResponse { ErrorCode = (short)invalid, MemberId = request.MemberId, Leader = "" })
            : Shard(request.GroupId).JoinGroupAsync(request, version, clientId, clientHost);

    public Task<SyncGroupResponse> SyncGroupAsync(SyncGroupRequest request) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new SyncGroupResponse { ErrorCode = (short)invalid, Assignment = [] })
            : Shard(request.GroupId).SyncGroupAsync(request);

    public HeartbeatResponse Heartbeat(HeartbeatRequest request) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? new HeartbeatResponse { ErrorCode = (short)invalid }
            : Shard(request.GroupId).Heartbeat(request);

    /// <summary>LeaveGroup for the members listed: the group-level error and one error per member.</summary>
    public (ErrorCode Error, List<(string MemberId, string? InstanceId, ErrorCode Error)> Members) LeaveGroup(string groupId, IReadOnlyList<(string MemberId, string? InstanceId)> members) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? (invalid, [])
            : Shard(groupId).LeaveGroup(groupId, members);

    public Task<OffsetCommitResponse> CommitOffsetsAsync(OffsetCommitRequest request)
    {
        if (ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None)
        {
            var response = new OffsetCommitResponse();
            foreach (var topic in request.Topics)
            {
                response.Topics.Add(new()
                {
                    Name = topic.Name,
                    Partitions = [.. topic.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)invalid })],
                });
            }

            return Task.FromResult(response);
        }

        return Shard(request.GroupId).CommitOffsetsAsync(request);
    }

    /// <summary>Committed offsets (see <see cref="GroupCoordinatorShard.FetchOffsets"/>); topics null means all.</summary>
    public (ErrorCode Error, List<OffsetFetchResponse.OffsetFetchResponseTopic> Topics) FetchOffsets(string groupId, List<OffsetFetchRequest.OffsetFetchRequestTopic>? topics, bool requireStable) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? (invalid, [])
            : Shard(groupId).FetchOffsets(groupId, topics, requireStable);

    /// <summary>TxnOffsetCommit: offsets written now, visible only once the producer's COMMIT marker is written here.</summary>
    public Task<TxnOffsetCommitResponse> TxnCommitOffsetsAsync(TxnOffsetCommitRequest request)
    {
        if (ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None)
        {
            var response = new TxnOffsetCommitResponse();
            foreach (var topic in request.Topics)
            {
                response.Topics.Add(new()
                {
                    Name = topic.Name,
                    Partitions = [.. topic.Partitions.Select(p => new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)invalid })],
                });
            }

            return Task.FromResult(response);
        }

        return Shard(request.GroupId).TxnCommitOffsetsAsync(request);
    }

    /// <summary>
    /// The transaction coordinator's marker for <c>__consumer_offsets</c>-<paramref name="partition"/>: appends it and
    /// commits (or drops) the producer's pending transactional offsets once it is durable.
    /// </summary>
    public Task<ErrorCode> CompleteTransactionAsync(int partition, long producerId, short producerEpoch, int coordinatorEpoch, bool commit) =>
        partition < 0 || partition >= _shards.Length
            ? Task.FromResult(ErrorCode.UnknownTopicOrPartition)
            : _shards[partition].CompleteTransactionAsync(producerId, producerEpoch, coordinatorEpoch, commit);

    public Task<OffsetDeleteResponse> DeleteOffsetsAsync(OffsetDeleteRequest request) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new OffsetDeleteResponse { ErrorCode = (short)invalid })
            : Shard(request.GroupId).DeleteOffsetsAsync(request);

    public DescribeGroupsResponse.DescribedGroup DescribeGroup(string groupId) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? new() { GroupId = groupId, ErrorCode = (short)invalid, GroupState = "", ProtocolType = "", ProtocolData = "" }
            : Shard(groupId).DescribeGroup(groupId);

    /// <summary>Groups of every loaded partition (Dead ones excluded), as (id, protocol type, state).</summary>
    public List<(string GroupId, string ProtocolType, GroupState State)> ListGroups() => [.. _shards.SelectMany(s => s.ListGroups())];

    /// <summary>Whether any partition is still being loaded (ListGroups answers COORDINATOR_LOAD_IN_PROGRESS then).</summary>
    public bool IsLoading => _shards.Any(s => s.Status == ErrorCode.CoordinatorLoadInProgress);

    public Task<ErrorCode> DeleteGroupAsync(string groupId) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(invalid)
            : Shard(groupId).DeleteGroupAsync(groupId);

    public void Dispose()
    {
        foreach (var shard in _shards)
        {
            shard.Dispose();
        }
    }

    private GroupCoordinatorShard Shard(string groupId) => _shards[PartitionFor(groupId)];

    private ErrorCode ValidateGroupId(string? groupId) =>
        string.IsNullOrEmpty(groupId) || groupId.Length > _options.MaxGroupIdLength ? ErrorCode.InvalidGroupId : ErrorCode.None;
}
