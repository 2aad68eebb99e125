using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>DeleteTopics (API 20), v1–4: deletes topics by name. Thread-safety: stateless.</summary>
public sealed class DeleteTopicsHandler(ITopicCatalog catalog) : IRequestHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    public static ApiVersionRange Versions => new(1, 4);

    public async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteTopicsResponse();
        foreach (var name in request.TopicNames)
        {
            var id = catalog.Topics.TryGetValue(name, out var topic) ? topic.TopicId : Guid.Empty;
            var result = TopicNames.Validate(name) is { } invalid
                ? new TopicResult(ErrorCode.InvalidTopicException, invalid)
                : await catalog.DeleteTopicAsync(name, cancellationToken).ConfigureAwait(false);
            response.Responses.Add(new() { Name = name, TopicId = id, ErrorCode = (short)result.Error, ErrorMessage = result.Message });
        }

        return response;
    }
}
