using Microsoft.Extensions.Hosting;

namespace Wharf.Server.Http;

/// <summary>
/// The web host's lifetime inside a broker: starts and stops only when the broker says so. The default lifetime
/// would also listen for Ctrl+C and SIGTERM, which belong to the process that hosts the broker. Stateless.
/// </summary>
internal sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
