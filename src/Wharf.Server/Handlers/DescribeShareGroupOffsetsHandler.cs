using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Server.Share;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeShareGroupOffsets (API 90), v0–1: each share group's start offset per partition (everything below it is
/// accepted or archived), the leader epoch that stored it and, from v1, the lag — records from the start offset to the
/// high watermark not yet done (-1 when this broker does not lead the partition). Answered by the group's coordinator.
/// Thread-safety: stateless.
/// </summary>
public sealed class DescribeShareGroupOffsetsHandler(ShareGroupAdmin admin) : IRequestHandler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>
{
    public static ApiVersionRange Versions => new(0, 1);

    public async ValueTask<DescribeShareGroupOffsetsResponse?> HandleAsync(RequestContext context, DescribeShareGroupOffsetsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeShareGroupOffsetsResponse();
        foreach (var group in request.Groups)
        {
            var wanted = group.Topics?.Select(t => (t.TopicName, (IReadOnlyList<int>)t.Partitions)).ToList();
            var (error, topics) = await admin.DescribeOffsetsAsync(group.GroupId, wanted, cancellationToken).ConfigureAwait(false);
            var answer = new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup
            {
                GroupId = group.GroupId,
                ErrorCode = (short)error,
                ErrorMessage = error == ErrorCode.None ? null : $"{group.GroupId}: {error}",
            };
            foreach (var (topic, partitions) in topics)
            {
                answer.Topics.Add(new()
                {
                    TopicName = topic.Name,
                    TopicId = topic.TopicId,
                    Partitions = [.. partitions.Select(p => new DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponsePartition
                    {
                        PartitionIndex = p.Partition,
                        ErrorCode = (short)p.Error,
                        StartOffset = p.StartOffset,
                        LeaderEpoch = p.LeaderEpoch,
                        Lag = p.Lag,
                    })],
                });
            }

            response.Groups.Add(answer);
        }

        return response;
    }
}
