using System.Net;
using Microsoft.AspNetCore.Http;

namespace Wharf.Server.Http;

/// <summary>
/// Refuses console and admin-API requests whose <c>Host</c> names a host this broker was not configured as (403
/// <c>HOST_NOT_ALLOWED</c>). A web page can rebind its own DNS name to 127.0.0.1 and then call this port from the
/// visitor's browser as a same-origin page; its requests still carry its own name as Host, which is what this checks.
/// Allowed: any IP address literal, <c>localhost</c>, the listeners' own host names and <c>http.allowed.hosts</c>
/// (<c>*</c>: any). <c>/metrics</c> and <c>/health/*</c> are read by scrapers under any name and are not guarded.
/// Thread-safety: immutable after construction.
/// </summary>
internal sealed class HostGuard(RequestDelegate next, IReadOnlySet<string> allowed)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (IsGuarded(context.Request.Path) && !Allows(context.Request.Host.Host))
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsJsonAsync(new
            {
                error = $"host '{context.Request.Host.Host}' is not allowed; add it to http.allowed.hosts",
                code = "HOST_NOT_ALLOWED",
            }).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>The set a guard allows: <paramref name="configured"/> plus the listeners' host names, case-insensitive.</summary>
    public static IReadOnlySet<string> AllowedHosts(IEnumerable<string> configured, IEnumerable<string> listenerHosts) =>
        configured.Concat(listenerHosts).Append("localhost").Where(h => h.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static bool IsGuarded(PathString path) =>
        !path.StartsWithSegments("/metrics", StringComparison.Ordinal) && !path.StartsWithSegments("/health", StringComparison.Ordinal);

    private bool Allows(string host) =>
        allowed.Contains("*") || allowed.Contains(host) || IPAddress.TryParse(host.Trim('[', ']'), out _);
}
