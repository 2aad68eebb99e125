using System.Globalization;
using Wharf.Testing.Faults;

namespace Wharf.Testing;

/// <summary>
/// A real multi-broker Wharf cluster for end-to-end tests: one etcd (<see cref="EtcdServer"/>, from PATH) and
/// <see cref="WharfClusterOptions.Brokers"/> processes of the built <c>wharf</c> executable, with node ids 1..N, each on
/// a free 127.0.0.1 port with its own data directory, all under one fresh etcd prefix.
/// <code>
/// await using var cluster = await WharfCluster.StartAsync();
/// var producerConfig = new ProducerConfig { BootstrapServers = cluster.BootstrapServersOf(2) };
/// cluster.Kill(await cluster.ControllerIdAsync());
/// </code>
/// <see cref="StartAsync"/> returns once every broker printed its ready line and every broker's Metadata lists all of
/// them and the same controller. Brokers are addressed by node id: <see cref="Kill"/> (SIGKILL),
/// <see cref="TerminateAsync"/> (SIGTERM, a controlled shutdown), <see cref="RestartAsync"/> (same node id, port and
/// data), <see cref="Launch"/> (one more process, e.g. one that should be refused). <see cref="DescribeLogs"/>
/// gives what every process printed, for a failing test's output. <see cref="DisposeAsync"/> kills every process it
/// started (by process id) and deletes the directories. With <see cref="WharfClusterOptions.FaultProxies"/> every
/// broker is reached through a <see cref="FaultProxy"/> (it advertises the proxy), its etcd links go through proxies
/// too, and <see cref="Network"/> holds the rules; <see cref="Pause"/> and <see cref="Resume"/> are SIGSTOP/SIGCONT.
/// Thread-safety: drive one cluster from one test at a time; the read-only members may be called from any thread.
/// </summary>
public sealed class WharfCluster : IAsyncDisposable
{
    private readonly WharfClusterOptions _options;
    private readonly EtcdServer _etcd;
    private readonly bool _ownsEtcd;
    private readonly string _wharfDll;
    private readonly string _root;
    private readonly Dictionary<int, Node> _nodes = [];
    private readonly List<WharfBrokerProcess> _launched = [];
    private readonly List<ProcessLog> _logs = [];
    private readonly HashSet<int> _handedOutPorts = []; // every port UnusedPort gave, Kafka and HTTP; under its own lock

    private WharfCluster(WharfClusterOptions options, EtcdServer etcd, bool ownsEtcd, string wharfDll, string root, string prefix)
    {
        _options = options;
        _etcd = etcd;
        _ownsEtcd = ownsEtcd;
        _wharfDll = wharfDll;
        _root = root;
        EtcdPrefix = prefix;
        _logs.AddRange(etcd.Logs);
        Network = options.FaultProxies ? new FaultNetwork() : null;
    }

    /// <summary>The node ids of all brokers the cluster was started with (running or not).</summary>
    public IReadOnlyList<int> NodeIds => [.. _nodes.Keys.Order()];

    /// <summary>The node ids of the brokers whose process runs now.</summary>
    public IReadOnlyList<int> RunningNodeIds => [.. _nodes.Where(n => !n.Value.Process.HasExited).Select(n => n.Key).Order()];

    /// <summary>Every running broker, comma-separated, for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => string.Join(',', RunningNodeIds.Select(BootstrapServersOf));

    public EtcdServer Etcd => _etcd;

    /// <summary>This cluster's key prefix in etcd.</summary>
    public string EtcdPrefix { get; }

    /// <summary>The <c>etcd.connect</c> value of this cluster (etcd's own endpoints and the prefix).</summary>
    public string EtcdConnect => _etcd.Endpoints + EtcdPrefix;

    /// <summary>The link rules of the fault proxies, or null without <see cref="WharfClusterOptions.FaultProxies"/>.</summary>
    public FaultNetwork? Network { get; }

    /// <summary>Starts etcd (unless <see cref="WharfClusterOptions.Etcd"/> is given) and the brokers; see the class summary.</summary>
    /// <exception cref="InvalidOperationException">etcd is missing, or a broker did not start or join (with every log).</exception>
    /// <exception cref="FileNotFoundException">the wharf executable was not found.</exception>
    public static async Task<WharfCluster> StartAsync(WharfClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WharfClusterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Brokers, 1);
        var wharfDll = WharfExecutable.Locate(options.WharfDll);
        var etcd = options.Etcd ?? await EtcdServer.StartAsync(options.EtcdMembers, cancellationToken).ConfigureAwait(false);
        var prefix = options.EtcdPrefix ?? "/wharf-" + Guid.NewGuid().ToString("N")[..12];
        var root = Directory.CreateTempSubdirectory("wharf-cluster-").FullName;
        var cluster = new WharfCluster(options, etcd, options.Etcd is null, wharfDll, root, prefix);
        try
        {
            for (var nodeId = 1; nodeId <= options.Brokers; nodeId++)
            {
                cluster.StartNode(nodeId);
            }

            await Task.WhenAll(cluster._nodes.Values.Select(n => n.Process.WaitUntilReadyAsync(options.StartTimeout, cancellationToken))).ConfigureAwait(false);
            await cluster.WaitForLiveBrokersAsync(cluster.NodeIds, options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var logs = cluster.DescribeLogs();
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The Wharf cluster did not start: {e.Message}\n{logs}", e);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The broker process of <paramref name="nodeId"/> (its latest run).</summary>
    public WharfBrokerProcess Broker(int nodeId) => NodeOf(nodeId).Process;

    /// <summary>
    /// <c>127.0.0.1:port</c> of one broker alone, whether it runs or not: the address it advertises (its fault proxy
    /// with <see cref="WharfClusterOptions.FaultProxies"/>).
    /// </summary>
    public string BootstrapServersOf(int nodeId) => NodeOf(nodeId).Proxy?.Endpoint ?? DirectAddressOf(nodeId);

    /// <summary><c>127.0.0.1:port</c> the broker listens on, bypassing any fault proxy (what the fixture itself asks).</summary>
    public string DirectAddressOf(int nodeId) => $"127.0.0.1:{NodeOf(nodeId).Port}";

    /// <summary>SIGSTOP of one broker: it stops dead with every socket open, until <see cref="Resume"/>.</summary>
    public void Pause(int nodeId)
    {
        var node = NodeOf(nodeId);
        node.Log.Add($"=== broker {nodeId}: SIGSTOP ===");
        node.Process.Signal("STOP");
    }

    /// <summary>SIGCONT of a paused broker.</summary>
    public void Resume(int nodeId)
    {
        var node = NodeOf(nodeId);
        node.Log.Add($"=== broker {nodeId}: SIGCONT ===");
        node.Process.Signal("CONT");
    }

    /// <summary>The data directory (<c>log.dirs</c>) of one broker.</summary>
    public string DataDirectoryOf(int nodeId) => NodeOf(nodeId).DataDirectory;

    /// <summary>kill -9 of one broker; returns once the process is gone (its etcd session ends only after the session timeout).</summary>
    public void Kill(int nodeId)
    {
        var node = NodeOf(nodeId);
        node.Log.Add($"=== broker {nodeId}: SIGKILL ===");
        node.Process.Kill();
    }

    /// <summary>SIGTERM to one broker (a controlled shutdown); waits for it to exit and returns its exit code.</summary>
    public Task<int> TerminateAsync(int nodeId, TimeSpan? timeout = null) =>
        NodeOf(nodeId).Process.TerminateAsync(timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>
    /// Starts a stopped broker again with the same node id, port, data directory and settings (kills it first if it
    /// still runs); returns once it is ready and every running broker lists it.
    /// </summary>
    public async Task RestartAsync(int nodeId, CancellationToken cancellationToken = default)
    {
        var node = NodeOf(nodeId);
        if (!node.Process.HasExited)
        {
            Kill(nodeId);
        }

        await node.Process.DisposeAsync().ConfigureAwait(false);
        node.Process = WharfBrokerProcess.Start(_wharfDll, nodeId, node.Port, node.DataDirectory, node.Settings, node.Log);
        await node.Process.WaitUntilReadyAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
        await WaitForLiveBrokersAsync(RunningNodeIds, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts one more broker process in this cluster with node id <paramref name="nodeId"/> and
    /// <paramref name="settings"/> on top of the cluster's (a fresh data directory unless <c>log.dirs</c> is given), and
    /// returns without waiting: for brokers that should be refused (a duplicate node id, a foreign data directory), wait
    /// with <see cref="WharfBrokerProcess.WaitForExitAsync"/>; else <see cref="WharfBrokerProcess.WaitUntilReadyAsync"/>.
    /// The cluster kills it on dispose.
    /// </summary>
    public WharfBrokerProcess Launch(int nodeId, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = UnusedPort();
        var effective = SettingsFor(nodeId, port, Path.Combine(_root, $"launched-{_launched.Count + 1}-node{nodeId}"));
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            effective[key] = value;
        }

        var log = new ProcessLog($"launched broker {nodeId} (#{_launched.Count + 1})");
        var process = WharfBrokerProcess.Start(_wharfDll, nodeId, port, effective["log.dirs"], effective, log);
        _launched.Add(process);
        _logs.Add(log);
        return process;
    }

    /// <summary>
    /// Waits until the controller is known and every running broker agrees on it; returns its node id.
    /// </summary>
    /// <exception cref="TimeoutException">no agreement within <paramref name="timeout"/> (default 30 s).</exception>
    public async Task<int> ControllerIdAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var controller = -1;
        var agreed = await LocalProcesses.WaitUntilAsync(
            async token =>
            {
                var views = await AskRunningAsync(token).ConfigureAwait(false);
                var ids = views.Select(v => v?.ControllerId ?? -1).Distinct().ToArray();
                controller = ids is [var only] && RunningNodeIds.Contains(only) ? only : -1;
                return controller != -1;
            },
            timeout ?? TimeSpan.FromSeconds(30),
            cancellationToken).ConfigureAwait(false);
        return agreed ? controller : throw new TimeoutException($"The running brokers did not agree on a controller.\n{DescribeLogs()}");
    }

    /// <summary>What every running broker says now (null for one that did not answer).</summary>
    public async Task<IReadOnlyList<ClusterView?>> ViewsAsync(CancellationToken cancellationToken = default) =>
        await AskRunningAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Waits until every running broker's Metadata lists exactly <paramref name="nodeIds"/> as live brokers and names
    /// one of them as controller.
    /// </summary>
    /// <exception cref="TimeoutException">not within <paramref name="timeout"/> (the message has the last answers and every log).</exception>
    public async Task WaitForLiveBrokersAsync(IEnumerable<int> nodeIds, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var expected = nodeIds.ToHashSet();
        IReadOnlyList<ClusterView?> last = [];
        var done = await LocalProcesses.WaitUntilAsync(
            async token =>
            {
                last = await AskRunningAsync(token).ConfigureAwait(false);
                return last.All(v => v is not null && v.LiveBrokers.SetEquals(expected) && expected.Contains(v.ControllerId));
            },
            timeout,
            cancellationToken).ConfigureAwait(false);
        if (!done)
        {
            var answers = string.Join("; ", last.Select(v => v is null ? "no answer" : $"node {v.AnsweredBy}: live [{string.Join(',', v.LiveBrokers.Order())}], controller {v.ControllerId}"));
            throw new TimeoutException($"The brokers did not all list [{string.Join(',', expected.Order())}] within {timeout.TotalSeconds:0} s ({answers}).\n{DescribeLogs()}");
        }
    }

    /// <summary>A position in every process's output, for <see cref="DescribeLogs"/> of what came after it.</summary>
    public LogPosition MarkLogs() => new(_logs.ToDictionary(l => l.Name, l => l.Count));

    /// <summary>
    /// What etcd and every broker printed (since <paramref name="since"/>, if given), at most the last
    /// <paramref name="maxLinesPerProcess"/> lines of each: attach it to a failing test's output.
    /// </summary>
    public string DescribeLogs(LogPosition? since = null, int maxLinesPerProcess = 200) =>
        string.Join('\n', _logs.Select(l => l.Describe(since?.LinesByProcess.GetValueOrDefault(l.Name) ?? 0, maxLinesPerProcess)));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _nodes.Values.Select(n => n.Process).Concat(_launched))
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var proxy in _nodes.Values.SelectMany(n => n.Proxies))
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsEtcd)
        {
            await _etcd.DisposeAsync().ConfigureAwait(false);
        }

        if (!_options.KeepData)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void StartNode(int nodeId)
    {
        var port = UnusedPort();
        var directory = Path.Combine(_root, $"node{nodeId}");
        var settings = SettingsFor(nodeId, port, directory);
        FaultProxy? proxy = null;
        var etcdProxies = new List<FaultProxy>();
        if (Network is { } network)
        {
            proxy = UnclashingProxy(() => FaultProxy.ForKafka(network, nodeId, $"127.0.0.1:{port}"));
            settings["advertised.listeners"] = $"PLAINTEXT://{proxy.Endpoint}";
            if (_options.EtcdEndpoint?.Invoke(nodeId) is null)
            {
                etcdProxies.AddRange(_etcd.Members.Select(m => UnclashingProxy(() => FaultProxy.ForTcp(network, FaultEndpoint.Broker(nodeId), FaultEndpoint.Etcd, m.Endpoint))));
                settings["etcd.connect"] = string.Join(',', etcdProxies.Select(p => p.Endpoint)) + EtcdPrefix;
            }
        }

        foreach (var (key, value) in _options.BrokerSettings?.Invoke(nodeId) ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var log = new ProcessLog($"broker {nodeId}");
        _logs.Add(log);
        _nodes[nodeId] = new Node(port, directory, settings, log, proxy, etcdProxies)
        {
            Process = WharfBrokerProcess.Start(_wharfDll, nodeId, port, directory, settings, log),
        };
    }

    /// <summary>The fixture's keys, then <see cref="WharfClusterOptions.Settings"/>; listeners and identity always the fixture's.</summary>
    private Dictionary<string, string> SettingsFor(int nodeId, int port, string directory)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["broker.session.timeout.ms"] = ((long)_options.SessionTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ["broker.heartbeat.interval.ms"] = ((long)_options.HeartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            // A port of its own rather than port 0: a broker binding port 0 may be handed the port just picked (and
            // released) for another broker's Kafka listener, which then fails to start.
            ["http.listeners"] = $"http://127.0.0.1:{UnusedPort()}",
        };
        foreach (var (key, value) in _options.Settings)
        {
            settings[key] = value;
        }

        settings["node.id"] = nodeId.ToString(CultureInfo.InvariantCulture);
        settings["listeners"] = $"PLAINTEXT://127.0.0.1:{port}";
        settings["log.dirs"] = directory;
        settings["etcd.connect"] = (_options.EtcdEndpoint?.Invoke(nodeId) ?? _etcd.Endpoints) + EtcdPrefix;
        return settings;
    }

    private Task<ClusterView?[]> AskRunningAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_nodes.Where(n => !n.Value.Process.HasExited).Select(n => ClusterView.AskAsync(n.Key, n.Value.Port, cancellationToken)));

    private Node NodeOf(int nodeId) =>
        _nodes.TryGetValue(nodeId, out var node) ? node : throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId, $"no broker {nodeId} in this cluster");

    /// <summary>
    /// A free port that this cluster has not handed out before (to any node's Kafka or HTTP listener): the OS may hand
    /// the same just-closed port to two quick <see cref="LocalProcesses.FreePort"/> calls, and two listeners then race
    /// for one address.
    /// </summary>
    private int UnusedPort()
    {
        lock (_handedOutPorts)
        {
            return LocalProcesses.FreePortWhere(_handedOutPorts.Add);
        }
    }

    /// <summary>
    /// A proxy (listening on a port the OS picked) whose port this cluster has not handed out: a proxy bound on port 0
    /// could otherwise be given a port picked for a broker that has not bound it yet. Rejected proxies stay listening
    /// until a good one is found, so the OS cannot hand their ports out again meanwhile; then they are closed.
    /// </summary>
    private FaultProxy UnclashingProxy(Func<FaultProxy> create)
    {
        var rejected = new List<FaultProxy>();
        try
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var proxy = create();
                lock (_handedOutPorts)
                {
                    if (_handedOutPorts.Add(proxy.Port))
                    {
                        return proxy;
                    }
                }

                rejected.Add(proxy);
            }

            throw new InvalidOperationException("no proxy port clear of the brokers' ports in 100 attempts");
        }
        finally
        {
            // Idle (nothing ever connected to them): closing them needs no waiting.
            rejected.ForEach(r => _ = r.DisposeAsync().AsTask());
        }
    }

    /// <summary>One broker's fixed identity across restarts, and its current process.</summary>
    private sealed class Node(int port, string dataDirectory, Dictionary<string, string> settings, ProcessLog log, FaultProxy? proxy, IReadOnlyList<FaultProxy> etcdProxies)
    {
        /// <summary>The Kafka proxy in front of it (fault proxies only).</summary>
        public FaultProxy? Proxy { get; } = proxy;

        /// <summary>Every proxy of this broker: its Kafka proxy and its etcd proxies.</summary>
        public IEnumerable<FaultProxy> Proxies => Proxy is null ? etcdProxies : [Proxy, .. etcdProxies];

        public int Port { get; } = port;

        public string DataDirectory { get; } = dataDirectory;

        public Dictionary<string, string> Settings { get; } = settings;

        public ProcessLog Log { get; } = log;

        public required WharfBrokerProcess Process { get; set; }
    }
}
