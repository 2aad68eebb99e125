using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Wharf.LoadGen.Servers;

/// <summary>
/// A server this tool started: its own process (so its CPU and memory can be read from /proc), on 127.0.0.1, with
/// a fresh data directory that is deleted on dispose (unless the caller keeps it for a restart). Stopped by its own
/// process id: SIGTERM, then SIGKILL after a grace period. Never touches a process it did not start.
/// Thread-safety: one owner; output callbacks only append to a bounded, locked log.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly Queue<string> _recentOutput = new();
    private readonly bool _ownsDataDirectory;

    private ServerProcess(string name, Process process, int port, string dataDirectory, bool ownsDataDirectory)
    {
        Name = name;
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public string Name { get; }

    public int Port { get; }

    public string DataDirectory { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/> and waits until <paramref name="isReadyLine"/> matches an output
    /// line (if given) and the port accepts TCP connections. Every output line also goes to <paramref name="onOutput"/>
    /// (on the process's reader threads). With <paramref name="ownsDataDirectory"/> false the data directory survives
    /// dispose, so the server can be started again on it.</summary>
    public static async Task<ServerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments, int port, string dataDirectory, Func<string, bool>? isReadyLine, TimeSpan timeout, IReadOnlyList<string>? environment = null, bool ownsDataDirectory = true, Action<string>? onOutput = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var setting in environment ?? [])
        {
            var (key, value) = setting.IndexOf('=', StringComparison.Ordinal) is var i and > 0 ? (setting[..i], setting[(i + 1)..]) : throw new ArgumentException($"{setting} is not KEY=VALUE");
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var server = new ServerProcess(name, process, port, dataDirectory, ownsDataDirectory);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (isReadyLine is null)
        {
            ready.TrySetResult();
        }

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            server.Remember(line);
            onOutput?.Invoke(line);
            if (isReadyLine?.Invoke(line) == true)
            {
                ready.TrySetResult();
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{name} exited with {process.ExitCode}: {server.RecentOutput()}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(timeout).ConfigureAwait(false);
            await WaitForPortAsync(port, timeout).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public string RecentOutput()
    {
        lock (_recentOutput)
        {
            return string.Join(Environment.NewLine, _recentOutput);
        }
    }

    /// <summary>SIGKILL by pid (a crash: no shutdown code runs), then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigKill);
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>SIGTERM by pid, wait up to <paramref name="grace"/>, then SIGKILL; returns when the process is gone.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>SIGTERM by pid, wait up to 30 s, then SIGKILL; then delete the data directory if this server owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _process.Dispose();
        if (!_ownsDataDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Remember(string line)
    {
        lock (_recentOutput)
        {
            _recentOutput.Enqueue(line);
            while (_recentOutput.Count > 40)
            {
                _recentOutput.Dequeue();
            }
        }
    }

    private static async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
