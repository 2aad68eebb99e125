using System.Diagnostics;
using System.Globalization;
using Wharf.LoadGen.Servers;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// A Wharf cluster on 127.0.0.1 that this tool started: one etcd (from the PATH) and brokers 1..N, each on a free port
/// with its own data directory under one scratch directory, joined through <c>etcd.connect</c> with a prefix of their
/// own. Each process's whole output goes to a file in a log directory that survives the run. A broker can be killed (SIGKILL), stopped (SIGTERM: Wharf's controlled shutdown) and started again on the same
/// port, node id and data directory, as an operator would restart it. Dispose stops every broker, then etcd, each by its
/// own process id, and deletes the scratch directory.
/// Thread-safety: one owner; output scanning happens on the processes' reader threads (<see cref="ServerOutputLog"/>).
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _wharfDll;
    private readonly string _root;
    private readonly string _logDirectory;
    private readonly string _etcdConnect;
    private readonly string _flushMode;
    private readonly ServerProcess _etcd;
    private readonly Dictionary<int, int> _ports = [];
    private readonly Dictionary<int, ServerProcess?> _brokers = [];
    private readonly Dictionary<int, ServerOutputLog> _outputs = [];
    private readonly Action<string> _log;

    private LocalCluster(string wharfDll, string root, string logDirectory, ServerProcess etcd, string etcdConnect, string flushMode, ServerOutputLog etcdOutput, Action<string> log)
    {
        _logDirectory = logDirectory;
        _wharfDll = wharfDll;
        _root = root;
        _etcd = etcd;
        _etcdConnect = etcdConnect;
        _flushMode = flushMode;
        EtcdOutput = etcdOutput;
        _log = log;
    }

    public IReadOnlyList<int> NodeIds => [.. _ports.Keys.Order()];

    /// <summary>Every broker, for a client's <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => string.Join(',', NodeIds.Select(Endpoint));

    public ServerOutputLog EtcdOutput { get; }

    public IReadOnlyList<ServerOutputLog> BrokerOutputs => [.. NodeIds.Select(n => _outputs[n])];

    /// <summary>Starts etcd, then brokers 1..<paramref name="brokers"/> together, and waits until each is registered.
    /// The processes' output goes to <c>etcd.log</c> and <c>broker-N.log</c> in <paramref name="logDirectory"/>.</summary>
    public static async Task<LocalCluster> StartAsync(string wharfDll, string scratch, string logDirectory, int brokers, string flushMode, Action<string> log)
    {
        Directory.CreateDirectory(logDirectory);
        var root = Path.Combine(scratch, $"cluster-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(root);
        var clientPort = ServerProcess.FreePort();
        var peerPort = ServerProcess.FreePort();
        var etcdData = Path.Combine(root, "etcd");
        string[] etcdArguments =
        [
            "--name", "bench", "--data-dir", etcdData,
            "--listen-client-urls", $"http://127.0.0.1:{clientPort}", "--advertise-client-urls", $"http://127.0.0.1:{clientPort}",
            "--listen-peer-urls", $"http://127.0.0.1:{peerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-cluster", $"bench=http://127.0.0.1:{peerPort}",
        ];
        var etcdOutput = new ServerOutputLog("etcd", Path.Combine(logDirectory, "etcd.log"));
        ServerProcess etcd;
        try
        {
            etcd = await ServerProcess.StartAsync("etcd", "etcd", etcdArguments, clientPort, etcdData,
                line => line.Contains("ready to serve client requests", StringComparison.Ordinal), StartTimeout, onOutput: etcdOutput.Add).ConfigureAwait(false);
        }
        catch
        {
            etcdOutput.Dispose();
            throw;
        }

        var cluster = new LocalCluster(wharfDll, root, logDirectory, etcd, $"127.0.0.1:{clientPort}/bench-{Environment.ProcessId}", flushMode, etcdOutput, log);
        try
        {
            for (var node = 1; node <= brokers; node++)
            {
                cluster._ports[node] = ServerProcess.FreePort();
                cluster._outputs[node] = new ServerOutputLog($"broker {node}", Path.Combine(logDirectory, $"broker-{node}.log"));
                cluster._brokers[node] = null;
            }

            await Task.WhenAll(cluster.NodeIds.Select(cluster.StartBrokerAsync)).ConfigureAwait(false);
            log($"cluster up: etcd pid {etcd.Pid} on 127.0.0.1:{clientPort}, prefix {cluster._etcdConnect.Split('/', 2)[1]}; brokers "
                + string.Join(", ", cluster.NodeIds.Select(n => $"{n} (pid {cluster._brokers[n]!.Pid}, port {cluster._ports[n]})"))
                + $"; log.flush.mode={flushMode}; data under {root}; full output in {logDirectory}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public string Endpoint(int node) => $"127.0.0.1:{_ports[node]}";

    /// <summary>A new probe of broker <paramref name="node"/>; the caller disposes it.</summary>
    public MetadataProbe Probe(int node) => new("127.0.0.1", _ports[node]);

    public int Pid(int node) => _brokers[node]?.Pid ?? 0;

    public bool IsRunning(int node) => _brokers[node] is { HasExited: false };

    /// <summary>Sets the phase that notable broker and etcd output is tagged with.</summary>
    public void SetPhase(string phase)
    {
        EtcdOutput.SetPhase(phase);
        foreach (var output in _outputs.Values)
        {
            output.SetPhase(phase);
        }
    }

    /// <summary>
    /// Starts broker <paramref name="node"/> (again) on its port, node id and data directory and waits for
    /// <c>ready in</c>, which Wharf prints once the controller has recorded the registration. Returns how long that took.
    /// </summary>
    public async Task<TimeSpan> StartBrokerAsync(int node)
    {
        if (_brokers[node] is { } previous)
        {
            await previous.DisposeAsync().ConfigureAwait(false);
            _brokers[node] = null;
            _outputs[node].NextRun();
        }

        var data = Path.Combine(_root, $"n{node}");
        Directory.CreateDirectory(data);
        string[] arguments =
        [
            _wharfDll, "start",
            "--set", $"node.id={node.ToString(CultureInfo.InvariantCulture)}",
            "--set", $"listeners=PLAINTEXT://127.0.0.1:{_ports[node]}",
            "--set", $"log.dirs={data}",
            "--set", "http.listeners=http://127.0.0.1:0",
            "--set", $"log.flush.mode={_flushMode}",
            "--set", $"etcd.connect={_etcdConnect}",
        ];
        var clock = Stopwatch.StartNew();
        _brokers[node] = await ServerProcess.StartAsync($"broker {node}", "dotnet", arguments, _ports[node], data,
            line => line.Contains("ready in", StringComparison.Ordinal), StartTimeout, ownsDataDirectory: false, onOutput: _outputs[node].Add).ConfigureAwait(false);
        return clock.Elapsed;
    }

    /// <summary>SIGKILL: the broker dies without unregistering; its etcd sessions expire on their own.</summary>
    public Task KillAsync(int node) => _brokers[node]?.KillAsync() ?? Task.CompletedTask;

    /// <summary>SIGTERM: Wharf's controlled shutdown (unregister, wait to be fenced, stop); SIGKILL after 30 s.</summary>
    public Task StopAsync(int node) => _brokers[node]?.StopAsync(TimeSpan.FromSeconds(30)) ?? Task.CompletedTask;

    /// <summary>CPU seconds (utime + stime) of the running brokers' processes.</summary>
    public double BrokerCpuSeconds() => _brokers.Values.OfType<ServerProcess>().Sum(b => ProcessStats.CpuSeconds(b.Pid));

    /// <summary>The last output lines of broker <paramref name="node"/>, for a failure note.</summary>
    public string RecentOutput(int node) => _brokers[node]?.RecentOutput() ?? "(not running)";

    /// <summary>
    /// Starts any broker that is not running, then waits until every broker lists all brokers as live and all name the
    /// same controller; returns that controller.
    /// </summary>
    /// <exception cref="TimeoutException">the cluster did not settle within <paramref name="timeout"/>.</exception>
    public async Task<int> WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var node in NodeIds.Where(n => !IsRunning(n)))
        {
            _log($"   restarting broker {node}, which is not running");
            await StartBrokerAsync(node).ConfigureAwait(false);
        }

        var probes = NodeIds.Select(Probe).ToList();
        try
        {
            var start = Stopwatch.GetTimestamp();
            while (true)
            {
                var views = await Task.WhenAll(probes.Select(p => p.TryGetAsync([], TimeSpan.FromSeconds(5), cancellationToken))).ConfigureAwait(false);
                if (views.All(v => v is not null && v.ControllerId >= 0 && v.ControllerId == views[0]!.ControllerId && NodeIds.All(v.Brokers.Contains)))
                {
                    return views[0]!.ControllerId;
                }

                if (Stopwatch.GetElapsedTime(start) > timeout)
                {
                    throw new TimeoutException($"cluster not healthy within {timeout.TotalSeconds:0} s: "
                        + string.Join("; ", views.Select((v, i) => $"broker {NodeIds[i]}: {MetadataPolling.Describe(v)}")));
                }

                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }
    }

    /// <summary>Stops the brokers together (SIGTERM, SIGKILL after 10 s), then etcd, then deletes the scratch directory
    /// (the log directory stays).</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_brokers.Values.OfType<ServerProcess>().Select(async b =>
        {
            await b.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await b.DisposeAsync().ConfigureAwait(false);
        })).ConfigureAwait(false);
        await _etcd.DisposeAsync().ConfigureAwait(false);
        foreach (var output in _outputs.Values.Append(EtcdOutput))
        {
            output.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
