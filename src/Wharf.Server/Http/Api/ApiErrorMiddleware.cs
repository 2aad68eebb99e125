using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wharf.Server.Http.Api;

/// <summary>
/// Turns every failure of a request into a JSON answer <c>{"error": ..., "code": ...}</c> without a stack trace: an
/// <see cref="ApiException"/> with its status, a body Kestrel refused (too large, cut short) 400, a broker that cannot be
/// reached 503, anything else 500 (logged as a warning). Under <c>/api/</c> an unknown path (404) and a known path with
/// another method (405) get the same JSON shape. Thread-safety: stateless.
/// </summary>
internal sealed class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
            if (!context.Response.HasStarted && context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
                && context.Response.StatusCode is 404 or 405 && context.Response.ContentLength is null or 0)
            {
                var notFound = context.Response.StatusCode == 404;
                await WriteAsync(context, context.Response.StatusCode, notFound ? "NOT_FOUND" : "METHOD_NOT_ALLOWED",
                    notFound ? $"no such route: {context.Request.Path}" : $"{context.Request.Method} is not allowed on {context.Request.Path}").ConfigureAwait(false);
            }
        }
        catch (ApiException e)
        {
            await WriteAsync(context, e.Status, e.Code, e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(context, 400, "BAD_REQUEST", e.StatusCode == 413 ? $"the request body is larger than {HttpAdminServer.MaxDrainedBodyBytes} bytes" : e.Message).ConfigureAwait(false);
        }
        catch (IOException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            await WriteAsync(context, 503, "BROKER_NOT_AVAILABLE", e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "HTTP {Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteAsync(context, 500, "UNKNOWN_SERVER_ERROR", "the request failed; see the broker's log").ConfigureAwait(false);
        }
    }

    internal static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new ApiError(message, code), ApiJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The body of every error answer.</summary>
public sealed record ApiError(string Error, string Code);
