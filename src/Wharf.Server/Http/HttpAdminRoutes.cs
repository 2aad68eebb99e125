using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Wharf.Server.Http;

/// <summary>
/// What the admin listener serves: <c>GET /metrics</c> (Prometheus text 0.0.4), <c>GET /health/live</c> (200 while the
/// process serves), <c>GET /health/ready</c> (200, or 503 with <c>{"status":"not ready","reason":...}</c>); any other
/// path 404, another method 405. <see cref="Map"/> puts them on the web server; <see cref="RouteAsync"/> is the answer itself.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class HttpAdminRoutes(BrokerMetrics metrics, BrokerReadiness readiness)
{
    internal const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Adds <c>GET</c> endpoints for the three paths (another method on them is 405, by routing).</summary>
    public void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var path in (string[])["/metrics", "/health/live", "/health/ready"])
        {
            endpoints.MapGet(path, async context =>
            {
                var response = await RouteAsync(new HttpRequestLine(context.Request.Method, path), context.RequestAborted).ConfigureAwait(false);
                context.Response.StatusCode = response.Status;
                context.Response.ContentType = response.ContentType;
                context.Response.ContentLength = response.Body.Length;
                context.Response.Headers.CacheControl = "no-store";
                await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
            });
        }
    }

    public async Task<HttpAdminResponse> RouteAsync(HttpRequestLine request, CancellationToken cancellationToken)
    {
        if (request.Path is not ("/metrics" or "/health/live" or "/health/ready"))
        {
            return HttpAdminResponse.Text(404, "Not Found", "not found\n");
        }

        if (request.Method != "GET")
        {
            return HttpAdminResponse.Text(405, "Method Not Allowed", "only GET\n");
        }

        switch (request.Path)
        {
            case "/metrics":
                using (var body = new MemoryStream())
                {
                    await metrics.WriteTextAsync(body, cancellationToken).ConfigureAwait(false);
                    return new HttpAdminResponse(200, "OK", PrometheusContentType, body.ToArray());
                }

            case "/health/live":
                return HttpAdminResponse.Json(200, "OK", """{"status":"live"}""");
            default:
                return readiness.NotReadyReason is { } reason
                    ? HttpAdminResponse.Json(503, "Service Unavailable", $"{{\"status\":\"not ready\",\"reason\":{JsonSerializer.Serialize(reason)}}}")
                    : HttpAdminResponse.Json(200, "OK", """{"status":"ready"}""");
        }
    }
}
