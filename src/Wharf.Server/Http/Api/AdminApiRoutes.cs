using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Wharf.Server.Http.Api;

/// <summary>
/// The routes of the JSON admin API (docs/operations.md documents each route and field):
/// <code>
/// GET    /api/v1/cluster                                          cluster id, controller, brokers
/// GET    /api/v1/brokers                                          brokers
/// GET    /api/v1/topics                                           topics
/// POST   /api/v1/topics                                           create a topic
/// GET    /api/v1/topics/{topic}                                   partitions, offsets, sizes, configs
/// DELETE /api/v1/topics/{topic}                                   delete a topic
/// GET    /api/v1/topics/{topic}/partitions/{partition}/messages   browse (offset | timestamp, limit, q)
/// POST   /api/v1/topics/{topic}/messages                          produce one message
/// GET    /api/v1/groups                                           groups (classic, consumer, share)
/// GET    /api/v1/groups/{group}                                   members, committed offsets, lag
/// </code>
/// Only POST and DELETE change anything. Input is checked here (numbers, limits, JSON shape): bad input is 400 with
/// <c>{"error","code"}</c>. Thread-safety: stateless.
/// </summary>
public static class AdminApiRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints, AdminApi api)
    {
        var v1 = endpoints.MapGroup("/api/v1");
        v1.MapGet("/cluster", context => Answer(context, 200, api.Topics.ClusterAsync(context.RequestAborted)));
        v1.MapGet("/brokers", context => Answer(context, 200, api.Topics.BrokersAsync(context.RequestAborted)));
        v1.MapGet("/topics", context => Answer(context, 200, api.Topics.TopicsAsync(context.RequestAborted)));
        v1.MapPost("/topics", async context =>
        {
            var body = await ReadBodyAsync<CreateTopicBody>(context).ConfigureAwait(false);
            await Answer(context, 201, api.Topics.CreateAsync(body, context.RequestAborted)).ConfigureAwait(false);
        });
        v1.MapGet("/topics/{topic}", context => Answer(context, 200, api.Topics.TopicAsync(Topic(context), context.RequestAborted)));
        v1.MapDelete("/topics/{topic}", context => Answer(context, 200, api.Topics.DeleteAsync(Topic(context), context.RequestAborted)));
        v1.MapGet("/topics/{topic}/partitions/{partition}/messages", context =>
        {
            var query = context.Request.Query;
            var offset = Long(query, "offset", min: 0);
            var timestamp = Long(query, "timestamp", min: 0);
            if (offset is not null && timestamp is not null)
            {
                throw ApiException.BadRequest("give 'offset' or 'timestamp', not both");
            }

            var limit = (int)(Long(query, "limit", min: 1, max: MessageBrowser.MaxLimit) ?? MessageBrowser.DefaultLimit);
            var q = query["q"].ToString();
            if (q.Length > 1024)
            {
                throw ApiException.BadRequest("'q' is longer than 1024 characters");
            }

            return Answer(context, 200, api.Messages.BrowseAsync(Topic(context), Partition(context), offset, timestamp, limit, q, context.RequestAborted));
        });
        v1.MapPost("/topics/{topic}/messages", async context =>
        {
            var body = await ReadBodyAsync<ProduceBody>(context).ConfigureAwait(false);
            if (body.Partition is < 0)
            {
                throw ApiException.BadRequest("'partition' must not be negative");
            }

            await Answer(context, 201, api.Messages.ProduceAsync(Topic(context), body, context.RequestAborted)).ConfigureAwait(false);
        });
        v1.MapGet("/groups", context => Answer(context, 200, api.Groups.GroupsAsync(context.RequestAborted)));
        v1.MapGet("/groups/{group}", context => Answer(context, 200, api.Groups.GroupAsync((string)context.Request.RouteValues["group"]!, context.RequestAborted)));
    }

    private static async Task Answer<T>(HttpContext context, int status, Task<T> answer)
    {
        var value = await answer.ConfigureAwait(false);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, ApiJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private static string Topic(HttpContext context)
    {
        var topic = (string)context.Request.RouteValues["topic"]!;
        return topic.Length <= 249 ? topic : throw ApiException.BadRequest("a topic name has at most 249 characters");
    }

    private static int Partition(HttpContext context) =>
        int.TryParse((string?)context.Request.RouteValues["partition"], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            ? partition
            : throw ApiException.BadRequest("the partition must be a non-negative number");

    private static long? Long(IQueryCollection query, string name, long min, long max = long.MaxValue)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count != 1 || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw ApiException.BadRequest($"'{name}' must be one whole number");
        }

        return value >= min && value <= max ? value : throw ApiException.BadRequest($"'{name}' must be between {min} and {max}");
    }

    /// <summary>The body, or 400 once it passes <see cref="HttpAdminServer.MaxRequestBodyBytes"/> (Kestrel reads what is left of it).</summary>
    private static async Task<byte[]> ReadLimitedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > HttpAdminServer.MaxRequestBodyBytes)
            {
                throw ApiException.BadRequest($"the request body is larger than {HttpAdminServer.MaxRequestBodyBytes} bytes");
            }

            body.Write(chunk, 0, read);
        }

        return body.ToArray();
    }

    /// <summary>Reads a JSON body (<c>Content-Type: application/json</c>) of at most <see cref="HttpAdminServer.MaxRequestBodyBytes"/>; anything else is 400.</summary>
    private static async Task<T> ReadBodyAsync<T>(HttpContext context)
        where T : class
    {
        if (context.Request.ContentLength > HttpAdminServer.MaxRequestBodyBytes)
        {
            throw ApiException.BadRequest($"the request body is larger than {HttpAdminServer.MaxRequestBodyBytes} bytes");
        }

        // Required, not assumed: a page on another site can POST text/plain or a body without a type to this port
        // without the browser asking first (no CORS preflight), but never application/json.
        if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadRequest("the request body must be application/json (Content-Type: application/json)");
        }

        var body = await ReadLimitedAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(body, ApiJson.Options)
                ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not the JSON expected: {e.Message}");
        }
    }
}
