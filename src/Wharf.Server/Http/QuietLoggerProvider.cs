using Microsoft.Extensions.Logging;

namespace Wharf.Server.Http;

/// <summary>
/// Hands the web server's own log categories (Kestrel, routing, hosting) to the broker's <see cref="ILoggerFactory"/>,
/// so they land where the broker's logs go; <see cref="HttpAdminServer"/> lets only warnings and errors through.
/// Thread-safety: as the factory.
/// </summary>
internal sealed class QuietLoggerProvider(ILoggerFactory brokerLoggers) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => brokerLoggers.CreateLogger(categoryName);

    public void Dispose()
    {
        // The broker owns the factory.
    }
}
