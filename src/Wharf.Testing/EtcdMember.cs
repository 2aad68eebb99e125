using System.Diagnostics;

namespace Wharf.Testing;

/// <summary>
/// One etcd process of an <see cref="EtcdServer"/> ensemble: fixed name, client and peer ports on 127.0.0.1 and data
/// directory, so it can be killed (SIGKILL, as a nemesis does) and started again as the same member on the same data.
/// Its output goes to its own log. Thread-safety: start, kill and dispose from one thread at a time; the read-only
/// members from any.
/// </summary>
public sealed class EtcdMember : IAsyncDisposable
{
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(30);
    private readonly string _etcd;
    private readonly IReadOnlyList<string> _arguments;
    private Process? _process;

    internal EtcdMember(string etcd, string name, int clientPort, int peerPort, string dataDirectory, string initialCluster, string token)
    {
        _etcd = etcd;
        Name = name;
        ClientPort = clientPort;
        PeerPort = peerPort;
        DataDirectory = dataDirectory;
        Log = new ProcessLog($"etcd {name} 127.0.0.1:{clientPort}");
        _arguments =
        [
            "--name", name, "--data-dir", dataDirectory,
            "--listen-client-urls", $"http://127.0.0.1:{clientPort}", "--advertise-client-urls", $"http://127.0.0.1:{clientPort}",
            "--listen-peer-urls", $"http://127.0.0.1:{peerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", token,
        ];
    }

    public string Name { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string DataDirectory { get; }

    /// <summary><c>127.0.0.1:port</c> of the client URL, the form <c>etcd.connect</c> takes.</summary>
    public string Endpoint => $"127.0.0.1:{ClientPort}";

    public bool IsRunning => _process is { HasExited: false };

    internal ProcessLog Log { get; }

    /// <summary>Starts the process (again, on the same data directory after <see cref="Kill"/>).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            return;
        }

        _process?.Dispose();
        var info = new ProcessStartInfo(_etcd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.Start();
        Log.Add($"=== etcd {Name} started: pid {process.Id} ===");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>kill -9 of this member; returns once the process is gone.</summary>
    public void Kill()
    {
        if (_process is { } process && !process.HasExited)
        {
            Log.Add($"=== etcd {Name}: SIGKILL ===");
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            process.WaitForExit();
        }
    }

    /// <summary>Starts a killed member again and waits until it answers <c>/health</c> as healthy (it has a raft leader).</summary>
    /// <exception cref="InvalidOperationException">it exited or was not healthy in time (with its output).</exception>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Start();
        await WaitUntilHealthyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until this member answers <c>/health</c> as healthy.</summary>
    /// <exception cref="InvalidOperationException">it exited or was not healthy in time (with its output).</exception>
    public async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var healthy = await LocalProcesses.WaitUntilAsync(
            async token =>
            {
                if (_process is not { } process || process.HasExited)
                {
                    throw new InvalidOperationException($"etcd {Name} is not running.\n{Log.Describe()}");
                }

                try
                {
                    var body = await http.GetStringAsync(new Uri($"http://{Endpoint}/health"), token).ConfigureAwait(false);
                    return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            HealthTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!healthy)
        {
            throw new InvalidOperationException($"etcd {Name} was not healthy within {HealthTimeout.TotalSeconds:0} s.\n{Log.Describe()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }

            process.Dispose();
            _process = null;
        }
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            Log.Add(line);
        }
    }
}
