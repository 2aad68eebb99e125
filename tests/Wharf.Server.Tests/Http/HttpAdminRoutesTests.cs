using System.Text;
using Wharf.Server.Http;

namespace Wharf.Server.Tests.Http;

public sealed class HttpAdminRoutesTests
{
    private readonly BrokerReadiness _readiness = new();
    private readonly HttpAdminRoutes _routes;

    public HttpAdminRoutesTests() => _routes = new HttpAdminRoutes(new BrokerMetrics(), _readiness);

    [Fact]
    public async Task Ready_WhileStarting_Is503WithTheReason()
    {
        _readiness.NotReady("starting: recovering logs");

        var response = await _routes.AnswerAsync("/health/ready", default);

        Assert.Equal(503, response.Status);
        Assert.Equal("""{"status":"not ready","reason":"starting: recovering logs"}""", Encoding.UTF8.GetString(response.Body.Span));
    }

    [Fact]
    public async Task Live_WhileStarting_Is200()
    {
        var response = await _routes.AnswerAsync("/health/live", default);

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Ready_OnceReady_Is200()
    {
        _readiness.Ready();

        var response = await _routes.AnswerAsync("/health/ready", default);

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Metrics_BeforeTheBrokerIsBound_ServeTheProcessMetricsInTheTextFormat()
    {
        var response = await _routes.AnswerAsync("/metrics", default);

        Assert.Equal(200, response.Status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.ContentType);
        Assert.Contains("# TYPE dotnet_total_memory_bytes gauge", Encoding.UTF8.GetString(response.Body.Span), StringComparison.Ordinal);
    }
}
