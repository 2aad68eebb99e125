using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Server.Http.Api;
using Wharf.Server.Http.Console;

namespace Wharf.Server.Http;

/// <summary>
/// The broker's HTTP listener (<c>http.listeners</c>): Kestrel with endpoint routing, serving <see cref="HttpAdminRoutes"/>
/// (<c>/metrics</c>, <c>/health/*</c>), the JSON admin API under <c>/api/v1</c> (<see cref="AdminApiRoutes"/>) and the
/// web console at <c>/</c> (<see cref="ConsoleRoutes"/>). Kestrel parses HTTP (keep-alive, bodies, limits); a malformed
/// request is answered 4xx by Kestrel and never reaches the broker. An unknown path is 404, a known path with another
/// method 405. The web server logs through the broker's logger factory, warnings and errors only.
/// Lifecycle: <see cref="StartAsync"/> binds (port 0 asks for a free port: read <see cref="LocalEndPoint"/>) before the
/// broker recovers its logs, so probes see "live, not ready"; <see cref="DisposeAsync"/> stops it (requests in flight
/// get <see cref="ShutdownTimeout"/> to finish). Thread-safety: requests are served concurrently; start and dispose from one thread.
/// </summary>
public sealed class HttpAdminServer : IAsyncDisposable
{
    /// <summary>The largest request body the API accepts (produce and create-topic bodies are small JSON documents).</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>
    /// The largest request body Kestrel reads at all. A body over <see cref="MaxRequestBodyBytes"/> but under this is
    /// refused with 400 and read to its end, so the client, still sending, gets the answer rather than a reset
    /// connection; a larger one ends the connection.
    /// </summary>
    public const long MaxDrainedBodyBytes = 8 * 1024 * 1024;

    internal static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly IAsyncDisposable _api;

    private HttpAdminServer(WebApplication app, IPEndPoint localEndPoint, IAsyncDisposable api)
    {
        _app = app;
        _api = api;
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The bound address (with the real port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Binds <paramref name="endPoint"/> and starts serving; <paramref name="api"/> is owned from now on. The console and
    /// the API answer only requests whose Host is an IP address or in <paramref name="allowedHosts"/> (<see cref="HostGuard"/>).
    /// </summary>
    /// <exception cref="SocketException">The address is in use (<see cref="SocketError.AddressAlreadyInUse"/>), as for the Kafka listener.</exception>
    /// <exception cref="IOException">The address cannot be bound for another reason.</exception>
    public static async Task<HttpAdminServer> StartAsync(IPEndPoint endPoint, HttpAdminRoutes routes, AdminApi api, IReadOnlySet<string> allowedHosts, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(HttpAdminServer).Assembly.GetName().Name });
            builder.Logging.AddProvider(new QuietLoggerProvider(loggerFactory));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);

            // A failure to start reaches the broker as an exception; the host's own report of it would say it twice.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
            builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
            builder.Services.AddRoutingCore();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = MaxDrainedBodyBytes;
                kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
                kestrel.Limits.MaxRequestLineSize = 8 * 1024;
                kestrel.Limits.MaxConcurrentConnections = 256;
                kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
                kestrel.Listen(endPoint);
            });
            app = builder.Build();
            app.UseMiddleware<HostGuard>(allowedHosts);
            app.UseMiddleware<ApiErrorMiddleware>();
            app.UseRouting();
            routes.Map(app);
            AdminApiRoutes.Map(app, api);
            ConsoleRoutes.Map(app);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is AddressInUseException)
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse, $"http.listeners: {endPoint} is already in use");
            }

            var bound = BoundPort(app);
            return new HttpAdminServer(app, new IPEndPoint(endPoint.Address, bound), api);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            await api.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops accepting, lets requests in flight finish (within <see cref="ShutdownTimeout"/>), then closes the API's broker connections.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            await _api.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static int BoundPort(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal)).Port;
    }
}
