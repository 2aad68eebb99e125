using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>AlterConfigs (API 33), v0–2: replaces a resource's config overrides through the controller. Thread-safety: stateless.</summary>
public sealed class AlterConfigsHandler(Controller controller) : IRequestHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    public static ApiVersionRange Versions => new(0, 2);

    public async ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request, CancellationToken cancellationToken)
    {
        var resources = request.Resources.Select(r => new Metadata.AlterConfigsResource(
            (ConfigResourceType)r.ResourceType,
            r.ResourceName,
            [.. r.Configs.Select(c => new KeyValuePair<string, string?>(c.Name, c.Value))])).ToList();
        var results = await controller.AlterConfigsAsync(resources, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        return new AlterConfigsResponse
        {
            Responses = [.. results.Select(r => new AlterConfigsResponse.AlterConfigsResourceResponse { ErrorCode = (short)r.Error, ErrorMessage = r.ErrorMessage, ResourceType = (sbyte)r.Type, ResourceName = r.Name })],
        };
    }
}
