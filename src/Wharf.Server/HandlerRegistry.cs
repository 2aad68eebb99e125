using System.Collections.Frozen;
using Wharf.Protocol;

namespace Wharf.Server;

/// <summary>
/// The handlers the broker serves, by API key. ApiVersions answers from here, so what is advertised is
/// exactly what is registered — never a hand-kept list.
/// Thread-safety: built once at start (<see cref="Builder"/>), then immutable.
/// </summary>
public sealed class HandlerRegistry
{
    private readonly FrozenDictionary<ApiKey, RegisteredHandler> _handlers;

    private HandlerRegistry(Dictionary<ApiKey, RegisteredHandler> handlers) => _handlers = handlers.ToFrozenDictionary();

    /// <summary>Served APIs with their ranges, by key.</summary>
    public IEnumerable<RegisteredHandler> All => _handlers.Values.OrderBy(h => h.Key);

    /// <summary>ApiVersions' list: every served API with its advertised range (both ApiVersions answers use it).</summary>
    public List<Protocol.Messages.ApiVersionsResponse.ApiVersion> AdvertisedVersions() =>
        [.. All.Select(h => new Protocol.Messages.ApiVersionsResponse.ApiVersion { ApiKey = (short)h.Key, MinVersion = h.Advertised.Min, MaxVersion = h.Advertised.Max })];

    public bool TryGet(ApiKey key, out RegisteredHandler handler) => _handlers.TryGetValue(key, out handler!);

    /// <param name="Key">The API.</param>
    /// <param name="Versions">The versions served; any other is refused.</param>
    /// <param name="Advertised">What ApiVersions lists: <paramref name="Versions"/>, or wider below for old clients' sake.</param>
    /// <param name="Handle">Runs the handler.</param>
    public sealed record RegisteredHandler(
        ApiKey Key,
        ApiVersionRange Versions,
        ApiVersionRange Advertised,
        Func<RequestContext, IRequestMessage, CancellationToken, ValueTask<IResponseMessage?>> Handle);

    public sealed class Builder
    {
        private readonly Dictionary<ApiKey, RegisteredHandler> _handlers = [];

        public Builder Add<THandler, TRequest, TResponse>(THandler handler)
            where THandler : IRequestHandler<TRequest, TResponse>
            where TRequest : IRequestMessage, IApiMessage<TRequest>
            where TResponse : class, IResponseMessage
        {
            var range = THandler.Versions;
            var codec = ApiCatalog.Find(TRequest.Api) ?? throw new InvalidOperationException($"No codec for {TRequest.Api}.");
            if (range.Min < codec.LowestVersion || range.Max > codec.HighestVersion)
            {
                throw new InvalidOperationException($"{typeof(THandler).Name} serves {range.Min}-{range.Max} but the codec decodes {codec.LowestVersion}-{codec.HighestVersion}.");
            }

            _handlers.Add(TRequest.Api, new RegisteredHandler(
                TRequest.Api,
                range,
                THandler.AdvertisedMinVersion is { } advertisedMin ? new ApiVersionRange(advertisedMin, range.Max) : range,
                async (context, request, cancellation) => await handler.HandleAsync(context, (TRequest)request, cancellation).ConfigureAwait(false)));
            return this;
        }

        /// <summary>
        /// Registers an admin handler whose requests go to the active controller when this broker is not it
        /// (<see cref="Forwarding.ControllerForwarder"/>); answered here otherwise.
        /// </summary>
        public Builder AddForwarded<THandler, TRequest, TResponse>(THandler handler, Forwarding.ControllerForwarder forwarder)
            where THandler : IRequestHandler<TRequest, TResponse>
            where TRequest : IRequestMessage, IApiMessage<TRequest>
            where TResponse : class, IResponseMessage, IApiMessage<TResponse>
        {
            Add<THandler, TRequest, TResponse>(handler);
            var local = _handlers[TRequest.Api];
            _handlers[TRequest.Api] = local with
            {
                Handle = async (context, request, cancellation) =>
                {
                    if (forwarder.ShouldForward)
                    {
                        try
                        {
                            return await forwarder.ForwardAsync<TRequest, TResponse>((TRequest)request, context.ApiVersion, cancellation).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                        {
                            // The controller is unreachable (it may be dying, an election under way): the local handler
                            // answers NOT_CONTROLLER for each item, which clients retry, instead of losing the connection.
                            forwarder.ReportUnreachable(TRequest.Api, e);
                        }
                    }

                    return await local.Handle(context, request, cancellation).ConfigureAwait(false);
                },
            };
            return this;
        }

        public HandlerRegistry Build() => new(_handlers);
    }
}
