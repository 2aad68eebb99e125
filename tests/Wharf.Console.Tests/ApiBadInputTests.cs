using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Wharf.Console.Tests;

/// <summary>
/// Bad input to the admin API is answered 400 (or 404/405) with <c>{"error","code"}</c> — never a 500, never a stack
/// trace — and the broker goes on serving.
/// </summary>
public sealed class ApiBadInputTests(ApiBadInputTests.Broker fixture) : IClassFixture<ApiBadInputTests.Broker>
{
    private readonly WharfBroker _broker = fixture.Instance;
    private readonly ApiClient _api = fixture.Api;

    [Theory]
    [InlineData("offset=-1")]
    [InlineData("offset=abc")]
    [InlineData("offset=1&offset=2")]
    [InlineData("offset=99999999999999999999999")]
    [InlineData("timestamp=-5")]
    [InlineData("offset=0&timestamp=0")]
    [InlineData("limit=0")]
    [InlineData("limit=-3")]
    [InlineData("limit=100000")]
    [InlineData("limit=1.5")]
    public async Task BrowseWithBadParameters_Is400(string query)
    {
        var answer = await _api.GetAsync($"api/v1/topics/present/partitions/0/messages?{query}");

        AssertError(answer, HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Theory]
    [InlineData("api/v1/topics/present/partitions/x/messages", HttpStatusCode.BadRequest, "BAD_REQUEST")]
    [InlineData("api/v1/topics/present/partitions/-1/messages", HttpStatusCode.BadRequest, "BAD_REQUEST")]
    [InlineData("api/v1/topics/present/partitions/2/messages", HttpStatusCode.NotFound, "UNKNOWN_TOPIC_OR_PARTITION")]
    [InlineData("api/v1/topics/absent/partitions/0/messages", HttpStatusCode.NotFound, "UNKNOWN_TOPIC_OR_PARTITION")]
    [InlineData("api/v1/nothing", HttpStatusCode.NotFound, "NOT_FOUND")]
    public async Task BrowseOfSomethingThatIsNotThere_IsAnErrorWithACode(string path, HttpStatusCode status, string code)
    {
        AssertError(await _api.GetAsync(path), status, code);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"name\": 42}")]
    [InlineData("{\"name\": \"x\", \"partitions\": \"three\"}")]
    [InlineData("{\"name\": \"x\", \"unknown_field\": 1}")]
    [InlineData("{\"name\": \"\"}")]
    [InlineData("{\"name\": \"x\", \"partitions\": 0}")]
    [InlineData("{\"name\": \"x\", \"partitions\": 1} trailing")]
    public async Task CreateTopicWithAMalformedBody_Is400(string body)
    {
        AssertError(await _api.PostRawAsync("api/v1/topics", body), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task CreateTopicWithAnInvalidName_Is400WithKafkasCode()
    {
        var answer = await _api.PostAsync("api/v1/topics", new JsonObject { ["name"] = "no spaces allowed!" });

        AssertError(answer, HttpStatusCode.BadRequest, "INVALID_TOPIC_EXCEPTION");
    }

    [Fact]
    public async Task ABodyLargerThanTheLimit_Is400()
    {
        var huge = $"{{\"value\": \"{new string('x', 2 * 1024 * 1024)}\"}}";

        AssertError(await _api.PostRawAsync("api/v1/topics/present/messages", huge), HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.Equal(0, (long)(await _api.GetAsync("api/v1/topics/present")).Ok()["message_count"]!);
    }

    [Fact]
    public async Task ABodyLargerThanTheLimit_SentAfterAskingToContinue_IsRefusedBeforeItIsSent()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/topics/present/messages")
        {
            Content = new StringContent($"{{\"value\": \"{new string('x', 2 * 1024 * 1024)}\"}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;

        AssertError(await _api.SendAsync(request), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task AChunkedBodyLargerThanTheLimit_Is400()
    {
        var huge = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"value\": \"{new string('x', 2 * 1024 * 1024)}\"}}")));
        huge.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/topics/present/messages") { Content = huge };
        request.Headers.TransferEncodingChunked = true;

        AssertError(await _api.SendAsync(request), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Theory]
    [InlineData("{\"value\": \"x\", \"partition\": -1}", "BAD_REQUEST")]
    [InlineData("{\"value\": \"***\", \"value_encoding\": \"base64\"}", "BAD_REQUEST")]
    [InlineData("{\"value\": \"x\", \"value_encoding\": \"rot13\"}", "BAD_REQUEST")]
    [InlineData("{\"value\": \"x\", \"headers\": [1, 2]}", "BAD_REQUEST")]
    public async Task ProduceWithBadInput_Is400(string body, string code)
    {
        AssertError(await _api.PostRawAsync("api/v1/topics/present/messages", body), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task ProduceToAPartitionThatDoesNotExist_Is404()
    {
        AssertError(await _api.PostRawAsync("api/v1/topics/present/messages", "{\"value\": \"x\", \"partition\": 9}"), HttpStatusCode.NotFound, "UNKNOWN_TOPIC_OR_PARTITION");
    }

    [Fact]
    public async Task ProduceAsText_IsRefused()
    {
        AssertError(await _api.PostRawAsync("api/v1/topics/present/messages", "{\"value\": \"x\"}", "text/plain"), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task ABodyWithoutAContentType_IsRefused_SoAnotherSiteCannotPostWithoutAPreflight()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/topics") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"name\": \"sneaky\"}")) };

        AssertError(await _api.SendAsync(request), HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.DoesNotContain((await _api.GetAsync("api/v1/topics")).Ok()["topics"]!.AsArray(), t => (string?)t!["name"] == "sneaky");
    }

    [Fact]
    public async Task AnotherMethodOnAKnownRoute_Is405WithJson()
    {
        AssertError(await _api.SendAsync(new HttpRequestMessage(HttpMethod.Put, "api/v1/topics")), HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    [Fact]
    public async Task AfterGarbage_TheBrokerStillServesKafkaAndHttp()
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, _broker.HttpAddress!.Port);
        foreach (var garbage in new[] { "POST /api/v1/topics HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n{", "POST /api/v1/topics HTTP/1.1\r\nContent-Length: 10\r\n\r\n{", "\x16\x03\x01\x02\x00" })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endPoint);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.Latin1.GetBytes(garbage));
            client.Client.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var status = await reader.ReadLineAsync();
            Assert.True(status is null || status.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"answer to garbage: {status}");
        }

        Assert.Equal(HttpStatusCode.OK, (await _api.GetAsync("health/live")).Status);
        var topics = (await _api.GetAsync("api/v1/topics")).Ok();
        Assert.Contains(topics["topics"]!.AsArray(), t => (string?)t!["name"] == "present");
    }

    private static void AssertError(ApiAnswer answer, HttpStatusCode status, string code)
    {
        Assert.True(answer.Status == status, $"expected {(int)status}, got {(int)answer.Status}: {answer.Text}");
        Assert.Equal("application/json", answer.MediaType);
        Assert.Equal(code, (string?)answer.Json!["code"]);
        Assert.False(string.IsNullOrEmpty((string?)answer.Json["error"]));
        Assert.DoesNotContain("   at ", answer.Text, StringComparison.Ordinal);
    }

    /// <summary>One broker for all these tests (none of them may change it): topic <c>present</c> with 2 partitions, no messages.</summary>
    public sealed class Broker : IAsyncLifetime
    {
        public WharfBroker Instance { get; private set; } = null!;

        public ApiClient Api { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Instance = await WharfBroker.StartAsync();
            Api = new ApiClient(Instance.HttpAddress!);
            await Instance.CreateTopicAsync("present", partitions: 2);
        }

        public async Task DisposeAsync()
        {
            Api.Dispose();
            await Instance.DisposeAsync();
        }
    }
}
