using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Network;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;
using Wharf.Server.Http;

namespace Wharf.Server;

/// <summary>
/// Decodes a request frame, checks its API and version against the <see cref="HandlerRegistry"/>, runs the
/// handler and wraps its response. Kafka's rules for bad requests: an ApiVersions request at a version we don't
/// serve gets a v0-shaped error 35 answer listing our ranges (so the client can retry); any other unknown API,
/// unsupported version or undecodable request closes the connection, with a log line saying why.
/// Each request that reaches its handler is counted in <paramref name="metrics"/> (when given) with its latency.
/// Thread-safety: stateless; one instance serves all connections.
/// </summary>
public sealed class RequestProcessor(HandlerRegistry registry, ILogger<RequestProcessor> logger, KafkaRequestMetrics? metrics = null) : IRequestProcessor
{
    public async ValueTask<OutgoingResponse?> ProcessAsync(ConnectionInfo connection, ReadOnlySequence<byte> frame, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (frame.Length < 8)
        {
            throw new CloseConnectionException($"a {frame.Length}-byte frame is too short for a request header");
        }

        var peek = new KafkaReader(frame);
        var (key, version, correlationId) = RequestHeader.ReadPrefix(ref peek);
        if (!registry.TryGet(key, out var handler))
        {
            throw new CloseConnectionException($"unknown or unserved API key {(short)key} (correlation id {correlationId})");
        }

        if (!handler.Versions.Contains(version))
        {
            if (key == ApiKey.ApiVersions)
            {
                return new OutgoingResponse(correlationId, 0, 0, UnsupportedApiVersions());
            }

            throw new CloseConnectionException($"{key} v{version} is not served (we serve {handler.Versions.Min}-{handler.Versions.Max})");
        }

        var api = ApiCatalog.Find(key)!;
        RequestHeader header;
        IRequestMessage body;
        try
        {
            var reader = new KafkaReader(frame);
            header = RequestHeader.Read(ref reader, api.RequestHeaderVersion(version));
            body = ApiCatalog.ReadRequest(key, version, ref reader);
        }
        catch (ProtocolDecodeException e)
        {
            if (key == ApiKey.ApiVersions)
            {
                // Kafka answers a malformed ApiVersions (e.g. bad client software name) with INVALID_REQUEST.
                return new OutgoingResponse(correlationId, 0, version, new ApiVersionsResponse { ErrorCode = (short)ErrorCode.InvalidRequest });
            }

            throw new CloseConnectionException($"{key} v{version} request could not be decoded: {e.Error}: {e.Message}", e);
        }

        var context = new RequestContext(connection, header);
        IResponseMessage? response;
        try
        {
            response = await handler.Handle(context, body, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not CloseConnectionException)
        {
            DisposeResources(context);
            logger.LogError(e, "{Api} v{Version} handler failed for {Client}", key, version, header.ClientId);
            throw new CloseConnectionException($"{key} handler failed: {e.Message}", e);
        }

        metrics?.Observe(key, version, started);
        if (response is null)
        {
            DisposeResources(context);
            return null;
        }

        return new OutgoingResponse(correlationId, api.ResponseHeaderVersion(version), version, response)
        {
            AfterSent = context.Resources is { } resources ? () => DisposeAll(resources) : null,
        };
    }

    /// <summary>ApiVersions' answer to a version it does not serve: error 35, our ranges, in the v0 shape.</summary>
    private ApiVersionsResponse UnsupportedApiVersions() => new()
    {
        ErrorCode = (short)ErrorCode.UnsupportedVersion,
        ApiKeys = registry.AdvertisedVersions(),
    };

    private static void DisposeResources(RequestContext context)
    {
        if (context.Resources is { } resources)
        {
            DisposeAll(resources);
        }
    }

    private static void DisposeAll(IReadOnlyList<IDisposable> resources)
    {
        foreach (var resource in resources)
        {
            resource.Dispose();
        }
    }
}
