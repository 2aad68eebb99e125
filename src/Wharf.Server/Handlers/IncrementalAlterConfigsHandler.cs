using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// IncrementalAlterConfigs (API 44), v0–1: SET, DELETE, APPEND and SUBTRACT on a resource's config overrides,
/// through the controller. Thread-safety: stateless.
/// </summary>
public sealed class IncrementalAlterConfigsHandler(Controller controller) : IRequestHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    public static ApiVersionRange Versions => new(0, 1);

    public async ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request, CancellationToken cancellationToken)
    {
        var resources = request.Resources.Select(r => new IncrementalAlterConfigsResource(
            (ConfigResourceType)r.ResourceType,
            r.ResourceName,
            [.. r.Configs.Select(c => new AlterableConfig(c.Name, (AlterConfigOperation)c.ConfigOperation, c.Value))])).ToList();
        var results = await controller.IncrementalAlterConfigsAsync(resources, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        return new IncrementalAlterConfigsResponse
        {
            Responses = [.. results.Select(r => new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse { ErrorCode = (short)r.Error, ErrorMessage = r.ErrorMessage, ResourceType = (sbyte)r.Type, ResourceName = r.Name })],
        };
    }
}
