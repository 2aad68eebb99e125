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

    /// <summary>
    /// The lowest version ApiVersions advertises when it is not <see cref="Versions"/>' minimum (null): only for a
    /// handler that must advertise versions it does not serve for old clients' sake (Produce: see
    /// <see cref="Handlers.ProduceHandler"/>). A request below <see cref="Versions"/> is refused whatever is advertised.
    /// </summary>
    static virtual short? AdvertisedMinVersion => null;

    /// <returns>The response, or null when none is sent (Produce with acks=0).</returns>
    ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request, CancellationToken cancellationToken);
}
