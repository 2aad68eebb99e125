using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Server.Share;

namespace Wharf.Server.Handlers;

/// <summary>
/// DeleteShareGroupOffsets (API 92), v0: forgets an empty share group's state for whole topics (its next member starts
/// them afresh at <c>share.auto.offset.reset</c>). Answered by the group's coordinator. Thread-safety: stateless.
/// </summary>
public sealed class DeleteShareGroupOffsetsHandler(ShareGroupAdmin admin) : IRequestHandler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<DeleteShareGroupOffsetsResponse?> HandleAsync(RequestContext context, DeleteShareGroupOffsetsRequest request, CancellationToken cancellationToken)
    {
        var (error, topics) = await admin.DeleteOffsetsAsync(request.GroupId, [.. request.Topics.Select(t => t.TopicName)], cancellationToken).ConfigureAwait(false);
        var response = new DeleteShareGroupOffsetsResponse { ErrorCode = (short)error, ErrorMessage = error == ErrorCode.None ? null : $"{request.GroupId}: {error}" };
        foreach (var (name, topicId, topicError) in topics)
        {
            response.Responses.Add(new() { TopicName = name, TopicId = topicId, ErrorCode = (short)topicError });
        }

        return response;
    }
}
