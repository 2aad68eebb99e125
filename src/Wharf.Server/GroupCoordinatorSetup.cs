using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Handlers;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// Wires the group coordinator into the broker: ensures <c>__consumer_offsets</c> exists (compacted,
/// <c>offsets.topic.num.partitions</c> partitions), builds the coordinator over it, replays the partitions this node
/// leads, and registers the group APIs' handlers.
/// </summary>
public static class GroupCoordinatorSetup
{
    /// <summary>Creates the offsets topic if needed and returns a coordinator with every partition led here loaded.</summary>
    public static async Task<GroupCoordinator> StartAsync(BrokerConfig config, Controller controller, ReplicaManager replicas, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var request = new CreateTopicRequest(
            GroupCoordinator.OffsetsTopic,
            config.OffsetsTopicNumPartitions,
            (short)config.GetInt("offsets.topic.replication.factor"),
            [
                new("cleanup.policy", "compact"),
                new("segment.bytes", config.GetInt("offsets.topic.segment.bytes").ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
        var created = await controller.EnsureTopicAsync(request, cancellationToken).ConfigureAwait(false);
        if (created.Error != ErrorCode.None || !controller.Current.TryGetTopic(GroupCoordinator.OffsetsTopic, out var topic))
        {
            throw new InvalidOperationException($"Could not create {GroupCoordinator.OffsetsTopic}: {created.Error} {created.ErrorMessage}");
        }

        var options = new GroupCoordinatorOptions
        {
            OffsetsTopicPartitions = topic.PartitionCount,
            MinSessionTimeout = TimeSpan.FromMilliseconds(config.GroupMinSessionTimeoutMs),
            MaxSessionTimeout = TimeSpan.FromMilliseconds(config.GroupMaxSessionTimeoutMs),
            InitialRebalanceDelay = TimeSpan.FromMilliseconds(config.GroupInitialRebalanceDelayMs),
            MaxGroupSize = config.GetInt("group.max.size"),
            OffsetsRetention = TimeSpan.FromMinutes(config.OffsetsRetentionMinutes),
            OffsetsRetentionCheckInterval = TimeSpan.FromMilliseconds(config.GetLong("offsets.retention.check.interval.ms")),
            PartitionExists = (name, partition) => controller.Current.TryGetTopic(name, out var t) && t.Partitions.ContainsKey(partition),
        };
        var coordinator = new GroupCoordinator(new OffsetsTopicWriter(replicas), options, time, loggerFactory);
        try
        {
            var led = topic.Partitions.Values.Where(p => p.Leader == controller.Current.NodeId).Select(p => p.Partition);
            await Task.WhenAll(led.Select(p => coordinator.LoadAsync(p, cancellationToken))).ConfigureAwait(false);
        }
        catch
        {
            coordinator.Dispose();
            throw;
        }

        return coordinator;
    }

    /// <summary>Registers FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and DeleteGroups.</summary>
    public static HandlerRegistry.Builder AddGroupHandlers(this HandlerRegistry.Builder builder, GroupCoordinator groups, Controller controller) => builder
        .Add<FindCoordinatorHandler, FindCoordinatorRequest, FindCoordinatorResponse>(new FindCoordinatorHandler(groups, controller))
        .Add<JoinGroupHandler, JoinGroupRequest, JoinGroupResponse>(new JoinGroupHandler(groups))
        .Add<SyncGroupHandler, SyncGroupRequest, SyncGroupResponse>(new SyncGroupHandler(groups))
        .Add<HeartbeatHandler, HeartbeatRequest, HeartbeatResponse>(new HeartbeatHandler(groups))
        .Add<LeaveGroupHandler, LeaveGroupRequest, LeaveGroupResponse>(new LeaveGroupHandler(groups))
        .Add<OffsetCommitHandler, OffsetCommitRequest, OffsetCommitResponse>(new OffsetCommitHandler(groups))
        .Add<OffsetFetchHandler, OffsetFetchRequest, OffsetFetchResponse>(new OffsetFetchHandler(groups))
        .Add<OffsetDeleteHandler, OffsetDeleteRequest, OffsetDeleteResponse>(new OffsetDeleteHandler(groups))
        .Add<DescribeGroupsHandler, DescribeGroupsRequest, DescribeGroupsResponse>(new DescribeGroupsHandler(groups))
        .Add<ListGroupsHandler, ListGroupsRequest, ListGroupsResponse>(new ListGroupsHandler(groups))
        .Add<DeleteGroupsHandler, DeleteGroupsRequest, DeleteGroupsResponse>(new DeleteGroupsHandler(groups));

    /// <summary>
    /// <see cref="IPartitionWriter"/> over the partitions of <c>__consumer_offsets</c> this broker leads: appends as
    /// leader (the log assigns the position synchronously inside <see cref="Partition.AppendAsLeaderAsync"/>, which keeps
    /// the coordinator's order) and completes when the high watermark passes the batch; reads committed batches for replay.
    /// Thread-safety: stateless over thread-safe partitions.
    /// </summary>
    private sealed class OffsetsTopicWriter(ReplicaManager replicas) : IPartitionWriter
    {
        private const int ReadChunkBytes = 1 << 20;

        public Task AppendAsync(int partition, ReadOnlyMemory<byte> batch)
        {
            var leader = replicas.GetPartition(new TopicPartition(GroupCoordinator.OffsetsTopic, partition));
            return leader is null
                ? Task.FromException(new PartitionWriteException(ErrorCode.NotCoordinator, $"{GroupCoordinator.OffsetsTopic}-{partition} is not led here."))
                : AppendAsync(leader, MemoryMarshal.AsMemory(batch));
        }

        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(int partition, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var leader = replicas.GetPartition(new TopicPartition(GroupCoordinator.OffsetsTopic, partition));
            if (leader is null)
            {
                yield break;
            }

            var end = leader.HighWatermark;
            var offset = leader.Log.LogStartOffset;
            while (offset < end)
            {
                cancellationToken.ThrowIfCancellationRequested();
                LogReadResult read;
                try
                {
                    read = leader.Log.Read(offset, ReadChunkBytes, end);
                }
                catch (OffsetOutOfRangeException) when (offset < leader.Log.LogStartOffset)
                {
                    offset = leader.Log.LogStartOffset;
                    continue;
                }

                if (read.Slice.IsEmpty)
                {
                    yield break;
                }

                var bytes = new byte[read.Slice.Length];
                var copied = await read.Slice.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
                yield return bytes.AsMemory(0, copied);
                offset = read.Slice.NextOffset;
            }
        }

        private static async Task AppendAsync(Partition leader, Memory<byte> batch)
        {
            Task<LogAppendInfo> append;
            try
            {
                append = leader.AppendAsLeaderAsync(batch);
            }
            catch (RecordTooLargeException e)
            {
                throw new PartitionWriteException(ErrorCode.InvalidCommitOffsetSize, e.Message, e);
            }

            try
            {
                await append.ConfigureAwait(false);
            }
            catch (RecordTooLargeException e)
            {
                throw new PartitionWriteException(ErrorCode.InvalidCommitOffsetSize, e.Message, e);
            }
            catch (LogException e)
            {
                throw new PartitionWriteException(ErrorCode.CoordinatorNotAvailable, e.Message, e);
            }
        }
    }
}
