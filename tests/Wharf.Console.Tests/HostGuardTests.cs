using System.Net;

namespace Wharf.Console.Tests;

/// <summary>
/// The console and the admin API answer only to the host names the broker knows (DNS-rebinding defence): a request
/// whose Host is another name gets 403 and changes nothing; IP addresses and localhost always work, <c>/metrics</c> and
/// <c>/health</c> answer any name, and <c>http.allowed.hosts</c> adds names.
/// </summary>
public sealed class HostGuardTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task AnotherHostName_IsRefusedOnTheApiAndTheConsole_AndNothingIsCreated()
    {
        await using var broker = await WharfBroker.StartAsync();

        using var create = await SendAsync(broker, HttpMethod.Post, "api/v1/topics", "rebound.example", """{"name":"planted","partitions":1}""");
        using var console = await SendAsync(broker, HttpMethod.Get, "", "rebound.example");

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Contains("HOST_NOT_ALLOWED", await create.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, console.StatusCode);
        using var topics = await SendAsync(broker, HttpMethod.Get, "api/v1/topics", "localhost");
        Assert.Equal(HttpStatusCode.OK, topics.StatusCode);
        Assert.DoesNotContain("planted", await topics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("[::1]")]
    public async Task AddressesAndLocalhost_AreServed(string host)
    {
        await using var broker = await WharfBroker.StartAsync();

        using var response = await SendAsync(broker, HttpMethod.Get, "api/v1/brokers", host);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MetricsAndHealth_AnswerAnyHostName()
    {
        await using var broker = await WharfBroker.StartAsync();

        using var metrics = await SendAsync(broker, HttpMethod.Get, "metrics", "prometheus.scrape.internal");
        using var health = await SendAsync(broker, HttpMethod.Get, "health/ready", "lb.internal");

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("broker1.internal")]
    [InlineData("*")]
    public async Task AllowedHosts_AddNames(string allowed)
    {
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["http.allowed.hosts"] = allowed });

        using var response = await SendAsync(broker, HttpMethod.Get, "api/v1/brokers", "broker1.internal");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(WharfBroker broker, HttpMethod method, string path, string host, string? json = null)
    {
        var request = new HttpRequestMessage(method, new Uri(broker.HttpAddress!, path));
        request.Headers.Host = host;
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return Http.SendAsync(request);
    }
}
