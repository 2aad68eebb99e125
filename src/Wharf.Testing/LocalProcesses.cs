using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wharf.Testing;

/// <summary>
/// What the process-based fixtures (<see cref="EtcdServer"/>, <see cref="WharfCluster"/>) share: free ports on
/// 127.0.0.1, finding programs on PATH, and signals by process id. Thread-safety: stateless.
/// </summary>
internal static class LocalProcesses
{
    /// <summary>A port that was free a moment ago (the OS picks it); a caller that loses the race retries.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A free port (as <see cref="FreePort"/>) that <paramref name="accept"/> takes; after 100 refusals, the last one
    /// anyway (the caller then loses a race it can retry).
    /// </summary>
    public static int FreePortWhere(Func<int, bool> accept)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            if (accept(port) || attempt >= 100)
            {
                return port;
            }
        }
    }

    /// <summary>The full path of <paramref name="name"/> in a PATH directory, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    /// <summary>SIGTERM to one process id (the way a service manager stops a service).</summary>
    public static async Task TerminateAsync(int processId)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", processId.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        await kill.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Sends <c>SIG</c><paramref name="signal"/> to one process id and waits for <c>kill</c> to return.</summary>
    public static void Signal(int processId, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, processId.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; false when <paramref name="timeout"/> passes first.</summary>
    public static async Task<bool> WaitUntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await condition(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}
