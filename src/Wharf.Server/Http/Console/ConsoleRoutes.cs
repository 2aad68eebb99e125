using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Wharf.Server.Http.Console;

/// <summary>
/// The web console: plain HTML, CSS and JavaScript modules embedded in this assembly (<c>Http/Console/wwwroot</c>),
/// served at <c>/</c> (<c>index.html</c>) and <c>/console/{file}</c>; the pages call the JSON API under <c>/api/v1</c>.
/// Nothing is fetched from elsewhere. Each file carries an ETag (a hash of its bytes), so a reload costs a 304.
/// Thread-safety: the files are read once, at start, into an immutable map.
/// </summary>
public static class ConsoleRoutes
{
    private const string ResourcePrefix = "console/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var files = Load();
        endpoints.MapGet("/", context => ServeAsync(context, files["index.html"]));
        endpoints.MapGet("/console/{file}", context => files.TryGetValue((string)context.Request.RouteValues["file"]!, out var file)
            ? ServeAsync(context, file)
            : NotFoundAsync(context));
    }

    private static FrozenDictionary<string, ConsoleFile> Load()
    {
        var assembly = typeof(ConsoleRoutes).Assembly;
        var files = new Dictionary<string, ConsoleFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var fileName = name[ResourcePrefix.Length..];
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(fileName), "application/octet-stream");
            files[fileName] = new ConsoleFile(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static async Task ServeAsync(HttpContext context, ConsoleFile file)
    {
        context.Response.Headers.ETag = file.ETag;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";
        if (context.Request.Headers.IfNoneMatch == file.ETag)
        {
            context.Response.StatusCode = 304;
            return;
        }

        context.Response.ContentType = file.ContentType;
        context.Response.ContentLength = file.Bytes.Length;
        await context.Response.Body.WriteAsync(file.Bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private sealed record ConsoleFile(byte[] Bytes, string ContentType, string ETag);
}
