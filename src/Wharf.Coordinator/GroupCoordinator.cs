using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Coordinator.Group;
using Wharf.Coordinator.Runtime;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator;

/// <summary>
/// The classic-protocol group coordinator (Kafka's <c>GroupCoordinatorService</c>): routes each group to the shard of
/// its <c>__consumer_offsets</c> partition (<see cref="PartitionFor(string, int)"/>, as Kafka computes it) on the
/// <see cref="CoordinatorRuntime{TShard}"/>, and validates what every API shares (the group id; the runtime answers
/// NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for a partition not active here). Requests return Kafka response
/// messages; handlers only adapt versions.
/// <para>
/// Lifecycle: construct; <see cref="OnElection"/> each partition this broker becomes leader of (replays it),
/// <see cref="OnResignation"/> when leadership moves away (state dropped, NOT_COORDINATOR); <see cref="Dispose"/>
/// unloads all. See <see cref="CoordinatorRuntime{TShard}.OnElection"/> for the epoch rules.
/// </para>
/// Thread-safety: all members are safe from any thread; each partition's events are serialised by its event loop.
/// </summary>
public sealed class GroupCoordinator : IDisposable
{
    private readonly CoordinatorRuntime<GroupCoordinatorShard> _runtime;
    private readonly GroupCoordinatorOptions _options;

    public GroupCoordinator(IPartitionWriter writer, GroupCoordinatorOptions options, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.OffsetsTopicPartitions, 1);
        _options = options;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GroupCoordinator>();
        _runtime = new CoordinatorRuntime<GroupCoordinatorShard>(OffsetsTopic, options.OffsetsTopicPartitions, writer, context => new GroupCoordinatorShard(context, options, logger), time, logger);
    }

    /// <summary>The name of the internal topic that holds group state.</summary>
    public const string OffsetsTopic = "__consumer_offsets";

    public int PartitionCount => _runtime.PartitionCount;

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

    public int PartitionFor(string groupId) => PartitionFor(groupId, _runtime.PartitionCount);

    /// <summary>
    /// This broker became leader of <c>__consumer_offsets</c>-<paramref name="partition"/> at
    /// <paramref name="leaderEpoch"/>: replays it and serves its groups. The task completes once they are served (it
    /// faults if the log could not be read); meanwhile their requests get COORDINATOR_LOAD_IN_PROGRESS.
    /// </summary>
    public Task OnElection(int partition, int leaderEpoch, CancellationToken cancellationToken = default) =>
        _runtime.OnElection(partition, leaderEpoch, cancellationToken);

    /// <summary>
    /// This broker no longer leads <c>__consumer_offsets</c>-<paramref name="partition"/>; <paramref name="leaderEpoch"/>
    /// is the partition's new leader epoch (null: unconditionally). Parked and pending requests get NOT_COORDINATOR.
    /// </summary>
    public void OnResignation(int partition, int? leaderEpoch) => _runtime.OnResignation(partition, leaderEpoch);

    /// <summary>Elects every partition at <paramref name="leaderEpoch"/> (a single node leads them all) and waits for the loads.</summary>
    public Task LoadAllAsync(int leaderEpoch = 0, CancellationToken cancellationToken = default) =>
        Task.WhenAll(Enumerable.Range(0, PartitionCount).Select(p => OnElection(p, leaderEpoch, cancellationToken)));

    /// <summary>None when <paramref name="partition"/> is loaded here; COORDINATOR_LOAD_IN_PROGRESS while loading; NOT_COORDINATOR otherwise.</summary>
    public ErrorCode PartitionStatus(int partition) => _runtime.Status(partition);

    /// <summary>How many groups <paramref name="partition"/> holds here (0 when not loaded).</summary>
    public int GroupCount(int partition) => _runtime.Run(partition, shard => shard.GroupCount, _ => 0);

    /// <summary>
    /// For FindCoordinator: None when this node serves the group now; COORDINATOR_LOAD_IN_PROGRESS while its partition
    /// is replayed; NOT_COORDINATOR when it is not loaded here; INVALID_GROUP_ID for an empty or oversized id.
    /// </summary>
    public ErrorCode CoordinatorStatus(string groupId) => ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None ? invalid : _runtime.Status(PartitionFor(groupId));

    public Task<JoinGroupResponse> JoinGroupAsync(JoinGroupRequest request, short version, string clientId, string clientHost) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new JoinGroupResponse { ErrorCode = (short)invalid, MemberId = request.MemberId, Leader = "" })
            : Run(request.GroupId, shard => shard.JoinGroupAsync(request, version, clientId, clientHost), error => Task.FromResult(new JoinGroupResponse { ErrorCode = (short)error, MemberId = request.MemberId, Leader = "" }));

    public Task<SyncGroupResponse> SyncGroupAsync(SyncGroupRequest request) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new SyncGroupResponse { ErrorCode = (short)invalid, Assignment = [] })
            : Run(request.GroupId, shard => shard.SyncGroupAsync(request), error => Task.FromResult(new SyncGroupResponse { ErrorCode = (short)error, Assignment = [] }));

    public HeartbeatResponse Heartbeat(HeartbeatRequest request) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? new HeartbeatResponse { ErrorCode = (short)invalid }
            : Run(request.GroupId, shard => shard.Heartbeat(request), error => new HeartbeatResponse { ErrorCode = (short)error });

    /// <summary>LeaveGroup for the members listed: the group-level error and one error per member.</summary>
    public (ErrorCode Error, List<(string MemberId, string? InstanceId, ErrorCode Error)> Members) LeaveGroup(string groupId, IReadOnlyList<(string MemberId, string? InstanceId)> members) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? (invalid, [])
            : Run(groupId, shard => shard.LeaveGroup(groupId, members), error => (error, []));

    public Task<OffsetCommitResponse> CommitOffsetsAsync(OffsetCommitRequest request)
    {
        return ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(Refused(invalid))
            : _runtime.WriteAsync(PartitionFor(request.GroupId), shard => shard.CommitOffsets(request), Refused);

        OffsetCommitResponse Refused(ErrorCode error)
        {
            var response = new OffsetCommitResponse();
            foreach (var topic in request.Topics)
            {
                response.Topics.Add(new()
                {
                    Name = topic.Name,
                    Partitions = [.. topic.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error })],
                });
            }

            return response;
        }
    }

    /// <summary>Committed offsets (see <see cref="GroupCoordinatorShard.FetchOffsets"/>); topics null means all.</summary>
    public (ErrorCode Error, List<OffsetFetchResponse.OffsetFetchResponseTopic> Topics) FetchOffsets(string groupId, List<OffsetFetchRequest.OffsetFetchRequestTopic>? topics, bool requireStable) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? (invalid, [])
            : Run(groupId, shard => shard.FetchOffsets(groupId, topics, requireStable), error => (error, []));

    /// <summary>TxnOffsetCommit: offsets written now, visible only once the producer's COMMIT marker is written here.</summary>
    public Task<TxnOffsetCommitResponse> TxnCommitOffsetsAsync(TxnOffsetCommitRequest request)
    {
        return ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(Refused(invalid))
            : _runtime.WriteAsync(PartitionFor(request.GroupId), shard => shard.TxnCommitOffsets(request), Refused);

        TxnOffsetCommitResponse Refused(ErrorCode error)
        {
            var response = new TxnOffsetCommitResponse();
            foreach (var topic in request.Topics)
            {
                response.Topics.Add(new()
                {
                    Name = topic.Name,
                    Partitions = [.. topic.Partitions.Select(p => new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error })],
                });
            }

            return response;
        }
    }

    /// <summary>
    /// The transaction coordinator's marker for <c>__consumer_offsets</c>-<paramref name="partition"/>: appends it and
    /// commits (or drops) the producer's pending transactional offsets once it is durable.
    /// </summary>
    public Task<ErrorCode> CompleteTransactionAsync(int partition, long producerId, short producerEpoch, int coordinatorEpoch, bool commit) =>
        partition < 0 || partition >= PartitionCount
            ? Task.FromResult(ErrorCode.UnknownTopicOrPartition)
            : _runtime.WriteAsync(partition, shard => shard.CompleteTransaction(producerId, producerEpoch, coordinatorEpoch, commit), error => error);

    public Task<OffsetDeleteResponse> DeleteOffsetsAsync(OffsetDeleteRequest request) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new OffsetDeleteResponse { ErrorCode = (short)invalid })
            : _runtime.WriteAsync(PartitionFor(request.GroupId), shard => shard.DeleteOffsets(request), error => new OffsetDeleteResponse { ErrorCode = (short)error });

    public DescribeGroupsResponse.DescribedGroup DescribeGroup(string groupId) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? new() { GroupId = groupId, ErrorCode = (short)invalid, GroupState = "", ProtocolType = "", ProtocolData = "" }
            : Run(groupId, shard => shard.DescribeGroup(groupId), error => new DescribeGroupsResponse.DescribedGroup { GroupId = groupId, ErrorCode = (short)error, GroupState = "", ProtocolType = "", ProtocolData = "" });

    /// <summary>Groups of every loaded partition (Dead ones excluded), as (id, protocol type, state).</summary>
    public List<(string GroupId, string ProtocolType, GroupState State)> ListGroups() => _runtime.RunOnEach(shard => shard.ListGroups());

    /// <summary>Whether any partition is still being loaded (ListGroups answers COORDINATOR_LOAD_IN_PROGRESS then).</summary>
    public bool IsLoading => _runtime.IsLoading;

    public Task<ErrorCode> DeleteGroupAsync(string groupId) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(invalid)
            : _runtime.WriteAsync(PartitionFor(groupId), shard => shard.DeleteGroup(groupId), error => error);

    /// <summary>ShareGroupHeartbeat (KIP-932): answered once a new group or a changed epoch is durable.</summary>
    public Task<ShareGroupHeartbeatResponse> ShareGroupHeartbeatAsync(ShareGroupHeartbeatRequest request, string clientId, string clientHost) =>
        ValidateGroupId(request.GroupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(new ShareGroupHeartbeatResponse { ErrorCode = (short)invalid, ErrorMessage = "Invalid group id." })
            : _runtime.WriteAsync(PartitionFor(request.GroupId), shard => shard.ShareGroupHeartbeat(request, clientId, clientHost), error => new ShareGroupHeartbeatResponse { ErrorCode = (short)error });

    public ShareGroupDescribeResponse.DescribedGroup DescribeShareGroup(string groupId, Func<Guid, string?> topicName) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? new() { GroupId = groupId, ErrorCode = (short)invalid, GroupState = "Dead", AssignorName = "" }
            : Run(groupId, shard => shard.DescribeShareGroup(groupId, topicName), error => new ShareGroupDescribeResponse.DescribedGroup { GroupId = groupId, ErrorCode = (short)error, GroupState = "Dead", AssignorName = "" });

    /// <summary>Whether <paramref name="groupId"/> is a share group and its member count; the error when its partition is not served here.</summary>
    public (ErrorCode Error, bool Exists, int Members) ShareGroupStatus(string groupId) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? (invalid, false, 0)
            : Run(groupId, shard => shard.ShareGroupStatus(groupId) is var s ? (ErrorCode.None, s.Exists, s.Members) : default, error => (error, false, 0));

    /// <summary>Share groups of every loaded partition, as (id, state).</summary>
    public List<(string GroupId, string State)> ListShareGroups() => _runtime.RunOnEach(shard => shard.ListShareGroups());

    public Task<ErrorCode> DeleteShareGroupAsync(string groupId) =>
        ValidateGroupId(groupId) is var invalid && invalid != ErrorCode.None
            ? Task.FromResult(invalid)
            : _runtime.WriteAsync(PartitionFor(groupId), shard => shard.DeleteShareGroup(groupId), error => error);

    public void Dispose() => _runtime.Dispose();

    /// <summary>The runtime (tests inspect leaderships through it).</summary>
    internal CoordinatorRuntime<GroupCoordinatorShard> Runtime => _runtime;

    /// <summary>An event on the loop of <paramref name="groupId"/>'s partition; <paramref name="onError"/> when it is not active here.</summary>
    private T Run<T>(string groupId, Func<GroupCoordinatorShard, T> operation, Func<ErrorCode, T> onError) =>
        _runtime.Run(PartitionFor(groupId), operation, onError);

    private ErrorCode ValidateGroupId(string? groupId) =>
        string.IsNullOrEmpty(groupId) || groupId.Length > _options.MaxGroupIdLength ? ErrorCode.InvalidGroupId : ErrorCode.None;
}
