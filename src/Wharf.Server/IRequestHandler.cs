using Wharf.Protocol;

namespace Wharf.Server;

/// <summary>
/// Serves one API. Each handler lives in its own file under Handlers/, declares the versions it serves,
/// and does no decoding (generated) and little work of its own (managers do it).
/// </summary>
public interface IRequestHandler<TRequest, TResponse>
    where TRequest : IRequestMessage
    where TResponse : class, IResponseMessage
{
    static abstract ApiVersionRange Versions { get; }

    /// <returns>The response, or null when none is sent (Produce with acks=0).</returns>
    ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request, CancellationToken cancellationToken);
}
