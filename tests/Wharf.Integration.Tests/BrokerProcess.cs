using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wharf.Integration.Tests;

/// <summary>The real <c>wharf start</c> executable as a child process, for crash tests (kill -9) and restarts.</summary>
internal sealed class BrokerProcess : IDisposable
{
    private static readonly Lock LogLock = new();
    private readonly Process _process;

    private BrokerProcess(Process process, int port, IReadOnlyList<string> startupLines)
    {
        _process = process;
        Port = port;
        StartupLines = startupLines;
    }

    public int Port { get; }

    /// <summary>What the broker printed (stdout and stderr) up to and including its ready line.</summary>
    public IReadOnlyList<string> StartupLines { get; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    /// <summary>Starts <c>wharf start</c> on <paramref name="dataDirectory"/> and waits for its ready line.</summary>
    public static async Task<BrokerProcess> StartAsync(string dataDirectory, int? port = null, params string[] settings)
    {
        port ??= FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { WharfDll(), "start", "--set", $"listeners=PLAINTEXT://127.0.0.1:{port}", "--set", $"log.dirs={dataDirectory}", "--set", $"http.listeners=http://127.0.0.1:{FreePortOtherThan(port.Value)}" }.Concat(settings.SelectMany(s => new[] { "--set", s })))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start wharf");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var startup = new List<string>();
        void Remember(string? line)
        {
            lock (startup)
            {
                if (line is not null && !ready.Task.IsCompleted)
                {
                    startup.Add(line);
                }
            }
        }

        var logFile = Environment.GetEnvironmentVariable("BROKER_PROCESS_LOG"); // set to keep the broker's output for diagnosis
        process.OutputDataReceived += (_, e) =>
        {
            if (logFile is not null && e.Data is not null)
            {
                lock (LogLock)
                {
                    File.AppendAllLines(logFile, [e.Data]);
                }
            }

            Remember(e.Data);
            if (e.Data?.Contains("ready in", StringComparison.Ordinal) == true)
            {
                lock (startup)
                {
                    ready.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"wharf exited with {process.ExitCode}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        lock (startup)
        {
            return new BrokerProcess(process, port.Value, [.. startup]);
        }
    }

    /// <summary>kill -9: no clean stop, no flush, no checkpoints.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as a service manager stops a broker; waits for the process to exit and returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    /// <summary>Not port 0 for HTTP: the broker binds it before Kafka, and port 0 could hand it the Kafka port picked here.</summary>
    private static int FreePortOtherThan(int taken)
    {
        var port = FreePort();
        while (port == taken)
        {
            port = FreePort();
        }

        return port;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The built <c>wharf.dll</c> of the same configuration as this test assembly.</summary>
    private static string WharfDll()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var directory = new DirectoryInfo(here);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
        {
            directory = directory.Parent;
        }

        var dll = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("repository root not found"), "src", "Wharf", "bin", configuration, "net10.0", "wharf.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build src/Wharf first", dll);
    }
}
