using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// DeleteTopics (API 20), v0–5 (v5 adds error messages; we never throttle): deletes topics by name through the
/// controller, which refuses the coordinators' internal topics. Thread-safety: stateless.
/// </summary>
public sealed class DeleteTopicsHandler(Controller controller) : IRequestHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    public static ApiVersionRange Versions => new(0, 5);

    public async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        var results = await controller.DeleteTopicsAsync([.. request.TopicNames.Select(TopicReference.ByName)], cancellationToken).ConfigureAwait(false);
        var response = new DeleteTopicsResponse();
        foreach (var result in results)
        {
            response.Responses.Add(new() { Name = result.Name, TopicId = result.TopicId, ErrorCode = (short)result.Error, ErrorMessage = result.ErrorMessage });
        }

        return response;
    }
}
