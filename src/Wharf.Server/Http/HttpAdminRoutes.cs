using System.Text.Json;

namespace Wharf.Server.Http;

/// <summary>
/// What the admin listener serves: <c>GET /metrics</c> (Prometheus text 0.0.4), <c>GET /health/live</c> (200 while the
/// process serves), <c>GET /health/ready</c> (200, or 503 with <c>{"status":"not ready","reason":...}</c>); any other
/// path 404, another method 405. Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class HttpAdminRoutes(BrokerMetrics metrics, BrokerReadiness readiness)
{
    internal const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

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
