using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Server.Share;

namespace Wharf.Server.Handlers;

/// <summary>
/// AlterShareGroupOffsets (API 91), v0: moves an empty share group's start offsets (reset to earliest, skip ahead, go
/// back); NON_EMPTY_GROUP while it has members. Answered by the group's coordinator. Thread-safety: stateless.
/// </summary>
public sealed class AlterShareGroupOffsetsHandler(ShareGroupAdmin admin) : IRequestHandler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<AlterShareGroupOffsetsResponse?> HandleAsync(RequestContext context, AlterShareGroupOffsetsRequest request, CancellationToken cancellationToken)
    {
        var wanted = request.Topics.Select(t => (t.TopicName, (IReadOnlyList<(int, long)>)[.. t.Partitions.Select(p => (p.PartitionIndex, p.StartOffset))])).ToList();
        var (error, topics) = await admin.AlterOffsetsAsync(request.GroupId, wanted, cancellationToken).ConfigureAwait(false);
        var response = new AlterShareGroupOffsetsResponse();
        if (error != ErrorCode.None)
        {
            foreach (var topic in request.Topics)
            {
                response.Responses.Add(new()
                {
                    TopicName = topic.TopicName,
                    Partitions = [.. topic.Partitions.Select(p => new AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error, ErrorMessage = $"{request.GroupId}: {error}" })],
                });
            }

            return response;
        }

        foreach (var (name, topicId, partitions) in topics)
        {
            response.Responses.Add(new()
            {
                TopicName = name,
                TopicId = topicId,
                Partitions = [.. partitions.Select(p => new AlterShareGroupOffsetsResponse.AlterShareGroupOffsetsResponsePartition { PartitionIndex = p.Partition, ErrorCode = (short)p.Error })],
            });
        }

        return response;
    }
}
