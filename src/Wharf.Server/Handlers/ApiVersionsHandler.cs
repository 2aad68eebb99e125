using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ApiVersions (API 18), v0–3. Lists every registered handler's range. (A version outside 0–3 is answered by
/// <see cref="RequestProcessor"/> with error 35 in the v0 shape.) Thread-safety: stateless.
/// </summary>
public sealed class ApiVersionsHandler(Func<HandlerRegistry> registry) : IRequestHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request, CancellationToken cancellationToken)
    {
        var response = new ApiVersionsResponse
        {
            ApiKeys = [.. registry().All.Select(h => new ApiVersionsResponse.ApiVersion { ApiKey = (short)h.Key, MinVersion = h.Versions.Min, MaxVersion = h.Versions.Max })],
        };
        return ValueTask.FromResult<ApiVersionsResponse?>(response);
    }
}
