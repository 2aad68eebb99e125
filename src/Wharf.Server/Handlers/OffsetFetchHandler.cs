using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// OffsetFetch (API 9), v0–7, one group per request: committed offset, leader epoch (v5+) and metadata per partition,
/// -1 where none. v2+ may ask for all partitions (null topics) and carries a group-level error; v0–1 get that error on
/// every partition. v0 (ZooKeeper-stored offsets in old Kafka) reads the same store as every other version. v7 <c>require_stable</c>: a partition with a commit still being written is UNSTABLE_OFFSET_COMMIT.
/// Thread-safety: stateless.
/// </summary>
public sealed class OffsetFetchHandler(GroupCoordinator groups) : IRequestHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public static ApiVersionRange Versions => new(0, 7);

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
