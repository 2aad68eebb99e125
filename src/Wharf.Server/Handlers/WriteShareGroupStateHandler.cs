using Wharf.Coordinator.Share;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// WriteShareGroupState (API 85), v0, between brokers: stores share-partitions' state at this broker's share
/// coordinator and answers once durable (NOT_COORDINATOR when their partition is not served here; FENCED_LEADER_EPOCH /
/// FENCED_STATE_EPOCH for a stale writer). Thread-safety: stateless.
/// </summary>
public sealed class WriteShareGroupStateHandler(ShareCoordinator coordinator) : IRequestHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<WriteShareGroupStateResponse?> HandleAsync(RequestContext context, WriteShareGroupStateRequest request, CancellationToken cancellationToken)
    {
        var response = new WriteShareGroupStateResponse();
        foreach (var topic in request.Topics)
        {
            var writes = topic.Partitions.Select(p => (p.Partition, Task: coordinator.WriteAsync(
                new ShareKey(request.GroupId, topic.TopicId, p.Partition),
                new ShareSnapshot(p.StateEpoch, p.LeaderEpoch, p.StartOffset, [.. p.StateBatches.Select(b => new StateBatch(b.FirstOffset, b.LastOffset, (RecordState)b.DeliveryState, b.DeliveryCount))])))).ToList();
            var result = new WriteShareGroupStateResponse.WriteStateResult { TopicId = topic.TopicId };
            foreach (var (partition, write) in writes)
            {
                result.Partitions.Add(new() { Partition = partition, ErrorCode = (short)await write.ConfigureAwait(false) });
            }

            response.Results.Add(result);
        }

        return response;
    }
}
