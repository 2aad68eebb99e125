using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Wharf.Console.Tests;

/// <summary>An HTTP client of one broker's admin API: each call returns the status and the parsed JSON body.</summary>
public sealed class ApiClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public Task<ApiAnswer> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public Task<ApiAnswer> DeleteAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Delete, path));

    public Task<ApiAnswer> PostAsync(string path, JsonNode body) => PostRawAsync(path, body.ToJsonString());

    public Task<ApiAnswer> PostRawAsync(string path, string body, string contentType = "application/json") =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) });

    public async Task<ApiAnswer> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return new ApiAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, text.Length == 0 ? null : JsonNode.Parse(text));
        }
    }

    /// <summary>GETs <paramref name="path"/> until 200 and <paramref name="done"/> holds, or fails after 30 seconds with the last answer.</summary>
    public async Task<JsonNode> WaitForAsync(string path, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        ApiAnswer answer;
        do
        {
            answer = await GetAsync(path);
            if (answer.Status == HttpStatusCode.OK && done(answer.Json!))
            {
                return answer.Json!;
            }
        }
        while (DateTime.UtcNow < deadline && await PollPause());

        throw new Xunit.Sdk.XunitException($"GET {path} never satisfied the condition; last answer {(int)answer.Status}: {answer.Text}");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The pause between two polls of a condition (the deadline, not this, bounds the wait).</summary>
    private static async Task<bool> PollPause()
    {
        await Task.Delay(100);
        return true;
    }
}

public sealed record ApiAnswer(HttpStatusCode Status, string? MediaType, string Text, JsonNode? Json)
{
    public JsonNode Ok()
    {
        Assert.True(Status is HttpStatusCode.OK or HttpStatusCode.Created, $"expected success, got {(int)Status}: {Text}");
        return Json!;
    }
}
