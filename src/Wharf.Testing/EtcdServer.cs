using System.Diagnostics;

namespace Wharf.Testing;

/// <summary>
/// A real single-member etcd for tests, the <c>etcd</c> found on PATH (Debian: <c>apt-get install etcd-server</c>):
/// client and peer ports are free ports on 127.0.0.1 and the data lives in a fresh temporary directory.
/// <see cref="StartAsync"/> returns once etcd answers <c>/health</c>; <see cref="DisposeAsync"/> kills exactly the
/// process it started (SIGKILL, by process id) and deletes the directory. Usually started for you by
/// <see cref="WharfCluster"/>; start one yourself to put something (a proxy) between it and a broker and pass it in
/// <see cref="WharfClusterOptions.Etcd"/>.
/// Thread-safety: start and dispose from one thread; <see cref="Output"/> may be read from any.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private static readonly Lazy<string?> EtcdPath = new(() => LocalProcesses.FindOnPath("etcd"));
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly string _directory;
    private readonly ProcessLog _log;

    private EtcdServer(Process process, int clientPort, string directory, ProcessLog log)
    {
        _process = process;
        ClientPort = clientPort;
        _directory = directory;
        _log = log;
    }

    /// <summary>Why no etcd can be started here (it is not on PATH), or null when it can.</summary>
    public static string? MissingReason => EtcdPath.Value is null
        ? "etcd is not on PATH; install it (Debian: apt-get install etcd-server)"
        : null;

    public int ClientPort { get; }

    /// <summary><c>127.0.0.1:port</c> of the client URL, the form <c>etcd.connect</c> takes.</summary>
    public string Endpoint => $"127.0.0.1:{ClientPort}";

    /// <summary>What etcd printed so far.</summary>
    public IReadOnlyList<string> Output => _log.Lines();

    internal ProcessLog Log => _log;

    /// <summary>Starts etcd and waits until it is healthy (it has elected itself leader).</summary>
    /// <exception cref="InvalidOperationException">etcd is not on PATH, or did not become healthy (with its output).</exception>
    public static async Task<EtcdServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var etcd = EtcdPath.Value ?? throw new InvalidOperationException(MissingReason);
        for (var attempt = 1; ; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("wharf-etcd-").FullName;
            var server = Launch(etcd, directory);
            try
            {
                await server.WaitUntilHealthyAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && server._log.Lines().Any(l => l.Contains("address already in use", StringComparison.Ordinal)))
            {
                // Another process took one of the free ports between our check and etcd's bind: try new ones.
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static EtcdServer Launch(string etcd, string directory)
    {
        var clientPort = LocalProcesses.FreePort();
        var peerPort = LocalProcesses.FreePort();
        var info = new ProcessStartInfo(etcd)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--name", "wharf-test", "--data-dir", Path.Combine(directory, "data"),
            "--listen-client-urls", $"http://127.0.0.1:{clientPort}", "--advertise-client-urls", $"http://127.0.0.1:{clientPort}",
            "--listen-peer-urls", $"http://127.0.0.1:{peerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-cluster", $"wharf-test=http://127.0.0.1:{peerPort}", "--initial-cluster-state", "new",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var log = new ProcessLog($"etcd 127.0.0.1:{clientPort}");
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Add(log, e.Data);
        process.ErrorDataReceived += (_, e) => Add(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new EtcdServer(process, clientPort, directory, log);

        static void Add(ProcessLog log, string? line)
        {
            if (line is not null)
            {
                log.Add(line);
            }
        }
    }

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var healthy = await LocalProcesses.WaitUntilAsync(
            async token =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"etcd exited with {_process.ExitCode} before it was healthy.\n{_log.Describe()}");
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
            StartTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!healthy)
        {
            throw new InvalidOperationException($"etcd was not healthy within {StartTimeout.TotalSeconds:0} s.\n{_log.Describe()}");
        }
    }
}
