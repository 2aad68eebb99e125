using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ApiVersions (API 18), v0–3. Lists every registered handler's advertised range (its served range, except Produce). (A version outside 0–3 is answered by
/// <see cref="RequestProcessor"/> with error 35 in the v0 shape.) Thread-safety: stateless.
/// </summary>
public sealed class ApiVersionsHandler(Func<HandlerRegistry> registry) : IRequestHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request, CancellationToken cancellationToken)
    {
        var response = new ApiVersionsResponse
        {
            ApiKeys = registry().AdvertisedVersions(),
        };
        return ValueTask.FromResult<ApiVersionsResponse?>(response);
    }
}
