using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Share;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Share;

/// <summary>
/// <see cref="IShareStatePersister"/> that finds each key's share coordinator: this broker's
/// <see cref="ShareCoordinator"/> when it serves the key's <c>__share_group_state</c> partition, otherwise the partition's
/// leader over Read/Write/DeleteShareGroupState. Creates the state topic on first use (a cluster creates it lazily, as it
/// does <c>__consumer_offsets</c>). While the coordinator is loading or moving (COORDINATOR_LOAD_IN_PROGRESS,
/// NOT_COORDINATOR, an unreachable broker) a call retries for up to <see cref="RetryFor"/>.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class ShareStatePersister(ShareCoordinator coordinator, Func<MetadataImage> image, BrokerConnectionPool connections, Func<CancellationToken, Task<ErrorCode>> ensureTopic, TimeProvider time, ILogger logger) : IShareStatePersister
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a call keeps retrying a coordinator that is loading, moving or unreachable.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(10);

    public Task<(ErrorCode Error, ShareSnapshot? State)> ReadAsync(ShareKey key, CancellationToken cancellationToken) =>
        RetryAsync(key, () => Task.FromResult(coordinator.Read(key)), node => ReadRemoteAsync(node, key, cancellationToken), cancellationToken);

    public async Task<ErrorCode> WriteAsync(ShareKey key, ShareSnapshot state, CancellationToken cancellationToken) =>
        (await RetryAsync(key, async () => (await coordinator.WriteAsync(key, state).ConfigureAwait(false), (ShareSnapshot?)null), async node => (await WriteRemoteAsync(node, key, state, cancellationToken).ConfigureAwait(false), (ShareSnapshot?)null), cancellationToken).ConfigureAwait(false)).Error;

    public async Task<ErrorCode> DeleteAsync(ShareKey key, CancellationToken cancellationToken) =>
        (await RetryAsync(key, async () => (await coordinator.DeleteAsync(key).ConfigureAwait(false), (ShareSnapshot?)null), async node => (await DeleteRemoteAsync(node, key, cancellationToken).ConfigureAwait(false), (ShareSnapshot?)null), cancellationToken).ConfigureAwait(false)).Error;

    private async Task<(ErrorCode Error, ShareSnapshot? State)> RetryAsync(
        ShareKey key,
        Func<Task<(ErrorCode, ShareSnapshot?)>> local,
        Func<int, Task<(ErrorCode, ShareSnapshot?)>> remote,
        CancellationToken cancellationToken)
    {
        var giveUp = time.GetUtcNow() + RetryFor;
        while (true)
        {
            (ErrorCode Error, ShareSnapshot? State) result;
            var current = image();
            if (!current.TryGetTopic(ShareCoordinator.StateTopic, out var topic))
            {
                var created = await ensureTopic(cancellationToken).ConfigureAwait(false);
                result = (created == ErrorCode.None ? ErrorCode.CoordinatorNotAvailable : created, null);
            }
            else if (coordinator.Status(key) is var status && status != ErrorCode.NotCoordinator)
            {
                result = status == ErrorCode.None ? await local().ConfigureAwait(false) : (status, null);
            }
            else if (topic.Partitions.TryGetValue(coordinator.PartitionFor(key), out var partition) && partition.Leader >= 0 && partition.Leader != current.NodeId)
            {
                try
                {
                    result = await remote(partition.Leader).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    logger.LogDebug(e, "Share coordinator on broker {Node} unreachable for {Key}", partition.Leader, key);
                    result = (ErrorCode.CoordinatorNotAvailable, null);
                }
            }
            else
            {
                result = (ErrorCode.CoordinatorNotAvailable, null);
            }

            if (result.Error is not (ErrorCode.CoordinatorLoadInProgress or ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable) || time.GetUtcNow() >= giveUp)
            {
                return result;
            }

            await Task.Delay(Backoff, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(ErrorCode, ShareSnapshot?)> ReadRemoteAsync(int node, ShareKey key, CancellationToken cancellationToken)
    {
        var request = new ReadShareGroupStateRequest { GroupId = key.GroupId };
        request.Topics.Add(new() { TopicId = key.TopicId, Partitions = [new() { Partition = key.Partition, LeaderEpoch = -1 }] });
        var response = await connections.SendAsync<ReadShareGroupStateRequest, ReadShareGroupStateResponse>(node, request, 0, cancellationToken).ConfigureAwait(false);
        var answer = response.Results.SelectMany(r => r.Partitions).FirstOrDefault();
        if (answer is null)
        {
            return (ErrorCode.UnknownServerError, null);
        }

        var error = (ErrorCode)answer.ErrorCode;
        return error == ErrorCode.UnknownTopicOrPartition
            ? (ErrorCode.None, null) // no state stored yet
            : error != ErrorCode.None
                ? (error, null)
                : (ErrorCode.None, new ShareSnapshot(answer.StateEpoch, -1, answer.StartOffset, [.. answer.StateBatches.Select(b => new StateBatch(b.FirstOffset, b.LastOffset, (RecordState)b.DeliveryState, b.DeliveryCount))]));
    }

    private async Task<ErrorCode> WriteRemoteAsync(int node, ShareKey key, ShareSnapshot state, CancellationToken cancellationToken)
    {
        var request = new WriteShareGroupStateRequest { GroupId = key.GroupId };
        request.Topics.Add(new()
        {
            TopicId = key.TopicId,
            Partitions =
            [
                new()
                {
                    Partition = key.Partition,
                    StateEpoch = state.StateEpoch,
                    LeaderEpoch = state.LeaderEpoch,
                    StartOffset = state.StartOffset,
                    StateBatches = [.. state.Batches.Select(b => new WriteShareGroupStateRequest.StateBatch { FirstOffset = b.FirstOffset, LastOffset = b.LastOffset, DeliveryState = (sbyte)b.State, DeliveryCount = b.DeliveryCount })],
                },
            ],
        });
        var response = await connections.SendAsync<WriteShareGroupStateRequest, WriteShareGroupStateResponse>(node, request, 0, cancellationToken).ConfigureAwait(false);
        return (ErrorCode)(response.Results.SelectMany(r => r.Partitions).FirstOrDefault()?.ErrorCode ?? (short)ErrorCode.UnknownServerError);
    }

    private async Task<ErrorCode> DeleteRemoteAsync(int node, ShareKey key, CancellationToken cancellationToken)
    {
        var request = new DeleteShareGroupStateRequest { GroupId = key.GroupId };
        request.Topics.Add(new() { TopicId = key.TopicId, Partitions = [new() { Partition = key.Partition }] });
        var response = await connections.SendAsync<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse>(node, request, 0, cancellationToken).ConfigureAwait(false);
        return (ErrorCode)(response.Results.SelectMany(r => r.Partitions).FirstOrDefault()?.ErrorCode ?? (short)ErrorCode.UnknownServerError);
    }
}
