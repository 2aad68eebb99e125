using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Wharf.Server.Http;

/// <summary>
/// What the admin listener serves besides the API and the console: <c>GET /metrics</c> (Prometheus text 0.0.4),
/// <c>GET /health/live</c> (200 while the process serves), <c>GET /health/ready</c> (200, or 503 with
/// <c>{"status":"not ready","reason":...}</c>). <see cref="Map"/> puts them on the web server, whose routing answers
/// another path 404 and another method 405; <see cref="AnswerAsync"/> is the answer itself.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class HttpAdminRoutes(BrokerMetrics metrics, BrokerReadiness readiness)
{
    internal const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] Paths = ["/metrics", "/health/live", "/health/ready"];

    /// <summary>Adds a <c>GET</c> endpoint for each path.</summary>
    public void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var path in Paths)
        {
            endpoints.MapGet(path, async context =>
            {
                var response = await AnswerAsync(path, context.RequestAborted).ConfigureAwait(false);
                context.Response.StatusCode = response.Status;
                context.Response.ContentType = response.ContentType;
                context.Response.ContentLength = response.Body.Length;
                context.Response.Headers.CacheControl = "no-store";
                await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
            });
        }
    }

    /// <summary>The answer to <c>GET <paramref name="path"/></c>, one of the three paths.</summary>
    public async Task<HttpAdminResponse> AnswerAsync(string path, CancellationToken cancellationToken)
    {
        switch (path)
        {
            case "/metrics":
                using (var body = new MemoryStream())
                {
                    await metrics.WriteTextAsync(body, cancellationToken).ConfigureAwait(false);
                    return new HttpAdminResponse(200, PrometheusContentType, body.ToArray());
                }

            case "/health/live":
                return HttpAdminResponse.Json(200, """{"status":"live"}""");
            case "/health/ready":
                return readiness.NotReadyReason is { } reason
                    ? HttpAdminResponse.Json(503, $"{{\"status\":\"not ready\",\"reason\":{JsonSerializer.Serialize(reason)}}}")
                    : HttpAdminResponse.Json(200, """{"status":"ready"}""");
            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, "not an admin route");
        }
    }
}
