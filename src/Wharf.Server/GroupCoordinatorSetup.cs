using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Server.Handlers;

namespace Wharf.Server;

/// <summary>
/// Wires the group coordinator into the broker: ensures <c>__consumer_offsets</c> exists (compacted,
/// <c>offsets.topic.num.partitions</c> partitions), builds the coordinator over it, elects it for the partitions this
/// node leads (replaying them), and registers the group APIs' handlers.
/// <para>
/// Leadership afterwards (a cluster): whoever learns that this broker became leader of <c>__consumer_offsets</c>-p at
/// epoch e calls <see cref="GroupCoordinator.OnElection"/>(p, e) (observe the task: it faults when the log cannot be
/// read); when it stops leading p because of a change to epoch e', <see cref="GroupCoordinator.OnResignation"/>(p, e')
/// (null when the partition is deleted or the broker fences itself). Both are cheap, non-blocking and idempotent, and
/// stale calls (older epochs) are ignored, so they may be called from a metadata-delta or leadership-change hook as
/// is. The same holds for <see cref="TransactionCoordinator"/> and <c>__transaction_state</c>.
/// </para>
/// </summary>
public static class GroupCoordinatorSetup
{
    /// <summary>
    /// <c>__consumer_offsets</c> as the broker config describes it (compacted, <c>offsets.topic.*</c>), its replication
    /// factor for the live brokers of <paramref name="image"/> unless configured (<see cref="DefaultReplicationFactor"/>).
    /// </summary>
    public static CreateTopicRequest OffsetsTopicRequest(BrokerConfig config, MetadataImage image) => new(
        GroupCoordinator.OffsetsTopic,
        config.OffsetsTopicNumPartitions,
        DefaultReplicationFactor.For(config, "offsets.topic.replication.factor", image),
        [
            new("cleanup.policy", "compact"),
            new("segment.bytes", config.GetInt("offsets.topic.segment.bytes").ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]);

    /// <summary>
    /// Returns a coordinator with every partition led here loaded. With <paramref name="createTopic"/> (a single node)
    /// the offsets topic is created first; in a cluster it is created on first FindCoordinator, when brokers have joined
    /// to spread it over, and the coordinator's partition count is the topic's if it exists, else the configured one.
    /// </summary>
    public static async Task<GroupCoordinator> StartAsync(BrokerConfig config, Controller controller, ReplicaManager replicas, bool createTopic, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (createTopic)
        {
            var created = await controller.EnsureTopicAsync(OffsetsTopicRequest(config, controller.Current), cancellationToken).ConfigureAwait(false);
            if (created.Error != ErrorCode.None)
            {
                throw new InvalidOperationException($"Could not create {GroupCoordinator.OffsetsTopic}: {created.Error} {created.ErrorMessage}");
            }
        }

        controller.Current.TryGetTopic(GroupCoordinator.OffsetsTopic, out var topic);
        var options = new GroupCoordinatorOptions
        {
            OffsetsTopicPartitions = topic?.PartitionCount ?? config.OffsetsTopicNumPartitions,
            MinSessionTimeout = TimeSpan.FromMilliseconds(config.GroupMinSessionTimeoutMs),
            MaxSessionTimeout = TimeSpan.FromMilliseconds(config.GroupMaxSessionTimeoutMs),
            InitialRebalanceDelay = TimeSpan.FromMilliseconds(config.GroupInitialRebalanceDelayMs),
            MaxGroupSize = config.GetInt("group.max.size"),
            OffsetsRetention = TimeSpan.FromMinutes(config.OffsetsRetentionMinutes),
            OffsetsRetentionCheckInterval = TimeSpan.FromMilliseconds(config.GetLong("offsets.retention.check.interval.ms")),
            PartitionExists = (name, partition) => controller.Current.TryGetTopic(name, out var t) && t.Partitions.ContainsKey(partition),
            TopicLookup = name => controller.Current.TryGetTopic(name, out var t) ? (t.TopicId, t.PartitionCount) : null,
            ShareGroupSettings = group => ShareGroupConfigs.Resolve(config, controller.Current.GetGroupConfigs(group)),
            MaxShareGroupSize = config.ShareGroupMaxSize,
        };
        var coordinator = new GroupCoordinator(new InternalTopicWriter(replicas, GroupCoordinator.OffsetsTopic), options, time, loggerFactory);
        try
        {
            var led = (topic?.Partitions.Values ?? []).Where(p => p.Leader == controller.Current.NodeId).ToList();
            await Task.WhenAll(led.Select(p => coordinator.OnElection(p.Partition, LeaderEpochOf(replicas, GroupCoordinator.OffsetsTopic, p), cancellationToken))).ConfigureAwait(false);
            // One line for the whole topic; each partition's own line is at Debug (50 of them would bury the banner).
            loggerFactory.CreateLogger(typeof(GroupCoordinatorSetup)).LogInformation("Loaded {Count} groups from {Partitions} {Topic} partitions", led.Sum(p => coordinator.GroupCount(p.Partition)), led.Count, GroupCoordinator.OffsetsTopic);
        }
        catch
        {
            coordinator.Dispose();
            throw;
        }

        return coordinator;
    }

    /// <summary>The leader epoch of a coordinator partition led here: the hosted partition's (the one appends are checked against).</summary>
    internal static int LeaderEpochOf(ReplicaManager replicas, string topic, PartitionImage partition) =>
        replicas.GetPartition(new TopicPartition(topic, partition.Partition))?.LeaderEpoch ?? partition.LeaderEpoch;

    /// <summary>Registers FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and DeleteGroups.</summary>
    public static HandlerRegistry.Builder AddGroupHandlers(this HandlerRegistry.Builder builder, GroupCoordinator groups, Controller controller, TopicCreator topics, TransactionCoordinator? transactions = null, Share.ShareGroupAdmin? shares = null) => builder
        .Add<FindCoordinatorHandler, FindCoordinatorRequest, FindCoordinatorResponse>(new FindCoordinatorHandler(groups, controller, topics, transactions))
        .Add<JoinGroupHandler, JoinGroupRequest, JoinGroupResponse>(new JoinGroupHandler(groups))
        .Add<SyncGroupHandler, SyncGroupRequest, SyncGroupResponse>(new SyncGroupHandler(groups))
        .Add<HeartbeatHandler, HeartbeatRequest, HeartbeatResponse>(new HeartbeatHandler(groups))
        .Add<LeaveGroupHandler, LeaveGroupRequest, LeaveGroupResponse>(new LeaveGroupHandler(groups))
        .Add<OffsetCommitHandler, OffsetCommitRequest, OffsetCommitResponse>(new OffsetCommitHandler(groups))
        .Add<OffsetFetchHandler, OffsetFetchRequest, OffsetFetchResponse>(new OffsetFetchHandler(groups))
        .Add<OffsetDeleteHandler, OffsetDeleteRequest, OffsetDeleteResponse>(new OffsetDeleteHandler(groups))
        .Add<DescribeGroupsHandler, DescribeGroupsRequest, DescribeGroupsResponse>(new DescribeGroupsHandler(groups))
        .Add<ListGroupsHandler, ListGroupsRequest, ListGroupsResponse>(new ListGroupsHandler(groups, shares is not null))
        .Add<DeleteGroupsHandler, DeleteGroupsRequest, DeleteGroupsResponse>(new DeleteGroupsHandler(groups, shares));
}
