using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// OffsetFetch (API 9), v1–7, one group per request: committed offset, leader epoch (v5+) and metadata per partition,
/// -1 where none. v2+ may ask for all partitions (null topics) and carries a group-level error; v1 gets that error on
/// every partition. v7 <c>require_stable</c>: a partition with a commit still being written is UNSTABLE_OFFSET_COMMIT.
/// Thread-safety: stateless.
/// </summary>
public sealed class OffsetFetchHandler(GroupCoordinator groups) : IRequestHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public static ApiVersionRange Versions => new(1, 7);

    public ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request, CancellationToken cancellationToken)
    {
        var (error, topics) = groups.FetchOffsets(request.GroupId, request.Topics, context.ApiVersion >= 7 && request.RequireStable);
        var response = new OffsetFetchResponse { ErrorCode = (short)error, Topics = topics };
        if (error != ErrorCode.None && context.ApiVersion < 2 && request.Topics is not null)
        {
            response.Topics = [.. request.Topics.Select(t => new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = t.Name,
                Partitions = [.. t.PartitionIndexes.Select(p => new OffsetFetchResponse.OffsetFetchResponsePartition { PartitionIndex = p, CommittedOffset = -1, Metadata = "", ErrorCode = (short)error })],
            })];
        }

        return ValueTask.FromResult<OffsetFetchResponse?>(response);
    }
}
