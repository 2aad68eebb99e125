using System.Diagnostics;

namespace Wharf.Testing;

/// <summary>
/// One run of the real <c>wharf start</c> executable (<c>dotnet wharf.dll start --set key=value…</c>) as a child
/// process: its output is collected line by line, <see cref="WaitUntilReadyAsync"/> waits for its ready line,
/// <see cref="Kill"/> is kill -9, <see cref="TerminateAsync"/> is SIGTERM and waits for the exit. A restarted broker is a
/// new instance (with the same node id, port and data directory). Made by <see cref="WharfCluster"/>.
/// Thread-safety: output is collected on the process's reader threads; the rest from one thread.
/// </summary>
public sealed class WharfBrokerProcess : IAsyncDisposable
{
    private const string ReadyLine = "ready in";
    private readonly Process _process;
    private readonly ProcessLog _log;
    private readonly int _firstLine;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, string>? _settings;

    private WharfBrokerProcess(Process process, int nodeId, int port, string dataDirectory, ProcessLog log, int firstLine)
    {
        _process = process;
        NodeId = nodeId;
        Port = port;
        DataDirectory = dataDirectory;
        _log = log;
        _firstLine = firstLine;
    }

    public int NodeId { get; }

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c> of this broker alone.</summary>
    public string BootstrapServers => $"127.0.0.1:{Port}";

    public string DataDirectory { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The exit code once the process has exited, else null.</summary>
    public int? ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : null;

    /// <summary>What this run printed (stdout and stderr interleaved in arrival order).</summary>
    public IReadOnlyList<string> Output => _log.Lines(_firstLine);

    /// <summary>
    /// Starts a single-node broker process (<c>wharf start</c>) on a free 127.0.0.1 port with <paramref name="settings"/>
    /// on top (a fresh data directory unless <c>log.dirs</c> is given), and waits for its ready line: for tests that kill
    /// or restart a real broker. <see cref="RestartAsync"/> runs it again on the same port and data.
    /// </summary>
    public static async Task<WharfBrokerProcess> StartSingleAsync(IReadOnlyDictionary<string, string>? settings = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var port = LocalProcesses.FreePort();
        var effective = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{port}",
        };
        // Not port 0: the broker binds HTTP before Kafka, and port 0 may hand it the Kafka port just picked and released.
        effective.TryAdd("http.listeners", $"http://127.0.0.1:{LocalProcesses.FreePortWhere(p => p != port)}");
        effective.TryAdd("log.dirs", Path.Combine(Path.GetTempPath(), "wharf-process-" + Guid.NewGuid().ToString("N")));
        var broker = Start(WharfExecutable.Locate(null), 1, port, effective["log.dirs"], effective, new ProcessLog("broker"));
        broker._settings = effective;
        return await ReadyOrKilledAsync(broker, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a broker that <see cref="StartSingleAsync"/> made again (after <see cref="Kill"/> or a stop), on its port and data.</summary>
    public async Task<WharfBrokerProcess> RestartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var settings = _settings ?? throw new InvalidOperationException("Only a broker from StartSingleAsync can be restarted this way.");
        await WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var broker = Start(WharfExecutable.Locate(null), NodeId, Port, DataDirectory, settings, _log);
        broker._settings = settings;
        return await ReadyOrKilledAsync(broker, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for <paramref name="broker"/>'s ready line; a broker that never gets ready is killed, never leaked.</summary>
    private static async Task<WharfBrokerProcess> ReadyOrKilledAsync(WharfBrokerProcess broker, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            await broker.WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="wharfDll"/> start</c> with <paramref name="settings"/> as <c>--set</c> arguments.</summary>
    internal static WharfBrokerProcess Start(string wharfDll, int nodeId, int port, string dataDirectory, IReadOnlyDictionary<string, string> settings, ProcessLog log)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(wharfDll);
        info.ArgumentList.Add("start");
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add("--set");
            info.ArgumentList.Add($"{key}={value}");
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var firstLine = log.Count;
        var broker = new WharfBrokerProcess(process, nodeId, port, dataDirectory, log, firstLine);
        process.OutputDataReceived += (_, e) => broker.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => broker.OnLine(e.Data);
        process.Exited += (_, _) => broker.OnExited();
        process.Start();
        log.Add($"=== broker {nodeId} started: pid {process.Id}, 127.0.0.1:{port}, {dataDirectory} ===");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return broker;
    }

    /// <summary>Waits for the ready line.</summary>
    /// <exception cref="InvalidOperationException">the process exited first, or <paramref name="timeout"/> passed (with its output).</exception>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var first = await Task.WhenAny(_ready.Task, _exited.Task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (first == _ready.Task)
        {
            return;
        }

        throw new InvalidOperationException(first == _exited.Task
            ? $"broker {NodeId} exited with {ExitCode} before it was ready.\n{_log.Describe(_firstLine)}"
            : $"broker {NodeId} was not ready within {timeout.TotalSeconds:0} s.\n{_log.Describe(_firstLine)}");
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <exception cref="TimeoutException">it still runs after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            return await _exited.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"broker {NodeId} did not exit within {timeout.TotalSeconds:0} s.\n{_log.Describe(_firstLine)}");
        }
    }

    /// <summary>
    /// kill -9: no clean stop, no flush, no unregistering; waits until the process is gone, and <see cref="HasExited"/>
    /// is true on return (the Exited event that also records it runs later, on the thread pool: a caller asking which
    /// brokers run right after a kill must not be told this one still does).
    /// </summary>
    public void Kill()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }

        OnExited();
    }

    /// <summary>Sends <c>SIG</c><paramref name="signal"/> (e.g. <c>STOP</c>, <c>CONT</c>) to the process; a no-op once it has exited.</summary>
    public void Signal(string signal)
    {
        if (!HasExited)
        {
            LocalProcesses.Signal(_process.Id, signal);
        }
    }

    /// <summary>SIGTERM (controlled shutdown in a cluster); waits for the exit and returns the exit code.</summary>
    /// <exception cref="TimeoutException">it still runs after <paramref name="timeout"/>.</exception>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!HasExited)
        {
            _log.Add($"=== broker {NodeId}: SIGTERM ===");
            await LocalProcesses.TerminateAsync(_process.Id).ConfigureAwait(false);
        }

        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            Kill();
        }

        await _exited.Task.ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>The dotnet host running this test (so brokers use the same runtime), else <c>dotnet</c> from PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Add(line);
        if (line.Contains(ReadyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private void OnExited()
    {
        // Exited can fire before the readers drained the pipes; WaitForExit() without a timeout waits for them.
        _process.WaitForExit();
        if (_exited.TrySetResult(_process.ExitCode))
        {
            _log.Add($"=== broker {NodeId} exited with {_process.ExitCode} ===");
        }
    }
}
