using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Wharf.LoadGen.Servers;

/// <summary>
/// A server this tool started: its own process (so its CPU and memory can be read from /proc), on 127.0.0.1, with
/// a fresh data directory that is deleted on dispose. Stopped by its own process id: SIGTERM, then SIGKILL after
/// a grace period. Never touches a process it did not start.
/// Thread-safety: one owner; output callbacks only append to a bounded, locked log.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly Queue<string> _recentOutput = new();

    private ServerProcess(string name, Process process, int port, string dataDirectory)
    {
        Name = name;
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
    }

    public string Name { get; }

    public int Port { get; }

    public string DataDirectory { get; }

    public int Pid => _process.Id;

    /// <summary>Starts <paramref name="fileName"/> and waits until <paramref name="isReadyLine"/> matches an output
    /// line (if given) and the port accepts TCP connections.</summary>
    public static async Task<ServerProcess> StartAsync(string name, string fileName, IEnumerable<string> arguments, int port, string dataDirectory, Func<string, bool>? isReadyLine, TimeSpan timeout, IReadOnlyList<string>? environment = null)
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
        var server = new ServerProcess(name, process, port, dataDirectory);
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

    /// <summary>SIGTERM by pid, wait up to 30 s, then SIGKILL; then delete the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _ = Kill(_process.Id, SigKill);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _process.Dispose();
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
