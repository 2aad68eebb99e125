using System.Globalization;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Coordinator.Share;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Server.Handlers;
using Wharf.Server.Share;

namespace Wharf.Server;

/// <summary>
/// Wires share groups (KIP-932 queues) into the broker: the share coordinator over <c>__share_group_state</c> (which
/// takes the offsets topic's partition count, replication factor and segment size), the share-partition manager that
/// serves the partitions this broker leads, share sessions, dead letters, and the share APIs' handlers. A single node
/// creates the state topic at start; a cluster creates it on first use and follows its leadership like the other
/// coordinator topics (<see cref="CoordinatorLeadership"/>).
/// Lifecycle: <see cref="StartAsync"/> after the group coordinator; dispose before it.
/// </summary>
public sealed class ShareGroupSetup : IDisposable
{
    private ShareGroupSetup(ShareCoordinator coordinator, IShareStatePersister persister, SharePartitionManager manager, ShareSessionCache sessions, ShareGroupAdmin admin)
    {
        Admin = admin;
        Coordinator = coordinator;
        Persister = persister;
        Manager = manager;
        Sessions = sessions;
    }

    public ShareCoordinator Coordinator { get; }

    /// <summary>Share-partition state wherever its share coordinator is (this broker or another).</summary>
    public IShareStatePersister Persister { get; }

    public SharePartitionManager Manager { get; }

    /// <summary>Share-group offsets for operators (describe, alter, delete) and DeleteGroups of share groups.</summary>
    public ShareGroupAdmin Admin { get; }

    public ShareSessionCache Sessions { get; }

    /// <summary><c>__share_group_state</c> as created: compacted, shaped like the offsets topic.</summary>
    public static CreateTopicRequest StateTopicRequest(BrokerConfig config, MetadataImage image) => new(
        ShareCoordinator.StateTopic,
        config.OffsetsTopicNumPartitions,
        DefaultReplicationFactor.For(config, "offsets.topic.replication.factor", image),
        [
            new("cleanup.policy", "compact"),
            new("segment.bytes", config.GetInt("offsets.topic.segment.bytes").ToString(CultureInfo.InvariantCulture)),
        ]);

    public static async Task<ShareGroupSetup> StartAsync(
        BrokerConfig config,
        Controller controller,
        ReplicaManager replicas,
        GroupCoordinator groups,
        TopicCreator topics,
        BrokerConnectionPool connections,
        Func<string, ShareGroupSettings> settings,
        bool createTopic,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (createTopic)
        {
            var created = await controller.EnsureTopicAsync(StateTopicRequest(config, controller.Current), cancellationToken).ConfigureAwait(false);
            if (created.Error != ErrorCode.None)
            {
                throw new InvalidOperationException($"Could not create {ShareCoordinator.StateTopic}: {created.Error} {created.ErrorMessage}");
            }
        }

        controller.Current.TryGetTopic(ShareCoordinator.StateTopic, out var topic);
        var coordinator = new ShareCoordinator(new InternalTopicWriter(replicas, ShareCoordinator.StateTopic), topic?.PartitionCount ?? config.OffsetsTopicNumPartitions, time, loggerFactory);
        try
        {
            var led = (topic?.Partitions.Values ?? []).Where(p => p.Leader == controller.Current.NodeId).ToList();
            await Task.WhenAll(led.Select(p => coordinator.OnElection(p.Partition, GroupCoordinatorSetup.LeaderEpochOf(replicas, ShareCoordinator.StateTopic, p), cancellationToken))).ConfigureAwait(false);
            loggerFactory.CreateLogger(typeof(ShareGroupSetup)).LogInformation("Loaded {Count} share-partition states from {Partitions} {Topic} partitions", led.Sum(p => coordinator.StateCount(p.Partition)), led.Count, ShareCoordinator.StateTopic);
        }
        catch
        {
            coordinator.Dispose();
            throw;
        }

        var persister = new ShareStatePersister(
            coordinator,
            () => controller.Current,
            connections,
            async ct => (await topics.EnsureAsync(StateTopicRequest(config, controller.Current), ct).ConfigureAwait(false)).Error,
            time,
            loggerFactory.CreateLogger<ShareStatePersister>());
        var deadLetters = new DeadLetterWriter(replicas, () => controller.Current, topics, connections);
        var manager = new SharePartitionManager(replicas, persister, settings, deadLetters, time, loggerFactory.CreateLogger<SharePartitionManager>());
        var admin = new ShareGroupAdmin(groups, persister, manager, replicas, () => controller.Current);
        return new ShareGroupSetup(coordinator, persister, manager, new ShareSessionCache(time), admin);
    }

    /// <summary>Registers ShareGroupHeartbeat, ShareGroupDescribe, ShareFetch, ShareAcknowledge, the share offset admin APIs and the share-state APIs between brokers.</summary>
    public HandlerRegistry.Builder AddHandlers(HandlerRegistry.Builder builder, GroupCoordinator groups, Controller controller, ReplicaManager replicas) => builder
        .Add<ShareGroupHeartbeatHandler, ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>(new ShareGroupHeartbeatHandler(groups))
        .Add<ShareGroupDescribeHandler, ShareGroupDescribeRequest, ShareGroupDescribeResponse>(new ShareGroupDescribeHandler(groups, controller))
        .Add<ShareFetchHandler, ShareFetchRequest, ShareFetchResponse>(new ShareFetchHandler(Manager, Sessions, replicas, controller))
        .Add<ShareAcknowledgeHandler, ShareAcknowledgeRequest, ShareAcknowledgeResponse>(new ShareAcknowledgeHandler(Manager, Sessions, replicas, controller))
        .Add<DescribeShareGroupOffsetsHandler, DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>(new DescribeShareGroupOffsetsHandler(Admin))
        .Add<AlterShareGroupOffsetsHandler, AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>(new AlterShareGroupOffsetsHandler(Admin))
        .Add<DeleteShareGroupOffsetsHandler, DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>(new DeleteShareGroupOffsetsHandler(Admin))
        .Add<ReadShareGroupStateHandler, ReadShareGroupStateRequest, ReadShareGroupStateResponse>(new ReadShareGroupStateHandler(Coordinator))
        .Add<WriteShareGroupStateHandler, WriteShareGroupStateRequest, WriteShareGroupStateResponse>(new WriteShareGroupStateHandler(Coordinator))
        .Add<DeleteShareGroupStateHandler, DeleteShareGroupStateRequest, DeleteShareGroupStateResponse>(new DeleteShareGroupStateHandler(Coordinator));

    public void Dispose()
    {
        Manager.Dispose();
        Coordinator.Dispose();
    }
}
