using Wharf.Coordinator.Share;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// DeleteShareGroupState (API 86), v0, between brokers: forgets share-partitions' stored state at this broker's share
/// coordinator (a tombstone each). Thread-safety: stateless.
/// </summary>
public sealed class DeleteShareGroupStateHandler(ShareCoordinator coordinator) : IRequestHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<DeleteShareGroupStateResponse?> HandleAsync(RequestContext context, DeleteShareGroupStateRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteShareGroupStateResponse();
        foreach (var topic in request.Topics)
        {
            var result = new DeleteShareGroupStateResponse.DeleteStateResult { TopicId = topic.TopicId };
            foreach (var partition in topic.Partitions)
            {
                var error = await coordinator.DeleteAsync(new ShareKey(request.GroupId, topic.TopicId, partition.Partition)).ConfigureAwait(false);
                result.Partitions.Add(new() { Partition = partition.Partition, ErrorCode = (short)error });
            }

            response.Results.Add(result);
        }

        return response;
    }
}
