namespace Wharf.Testing;

/// <summary>How <see cref="WharfCluster.StartAsync"/> builds the cluster. Every member has a test-friendly default.</summary>
public sealed class WharfClusterOptions
{
    /// <summary>How many brokers to start; they get node ids 1..<see cref="Brokers"/>.</summary>
    public int Brokers { get; init; } = 3;

    /// <summary>Kafka broker keys for every broker (e.g. <c>num.partitions</c>); they win over the fixture's defaults.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra keys for one broker, by node id (null: none); they win over <see cref="Settings"/>.</summary>
    public Func<int, IReadOnlyDictionary<string, string>?>? BrokerSettings { get; init; }

    /// <summary>
    /// <c>broker.session.timeout.ms</c>: how long a broker that stopped heartbeating stays registered. Lower than the
    /// broker's 9 s default so that kill and partition tests finish quickly.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary><c>broker.heartbeat.interval.ms</c> (the broker's default is 2 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Put a <see cref="Faults.FaultProxy"/> in front of every broker (which advertises the proxy, so clients and the
    /// other brokers go through it) and one per etcd member in front of each broker's etcd links, all under
    /// <see cref="WharfCluster.Network"/>, so tests can partition, delay and reset any link.
    /// </summary>
    public bool FaultProxies { get; init; }

    /// <summary>How many etcd members to start when the cluster starts its own etcd (1, or 3 to survive a member's loss).</summary>
    public int EtcdMembers { get; init; } = 1;

    /// <summary>An etcd to use instead of starting one (it is not disposed with the cluster).</summary>
    public EtcdServer? Etcd { get; init; }

    /// <summary>The key prefix of this cluster in etcd; default a fresh <c>/wharf-…</c>, so clusters sharing one etcd never meet.</summary>
    public string? EtcdPrefix { get; init; }

    /// <summary>
    /// The <c>host:port</c> one broker dials for etcd, by node id (null: every member's own endpoint, or the fault
    /// proxies with <see cref="FaultProxies"/>) — e.g. a proxy that can cut that broker off.
    /// </summary>
    public Func<int, string?>? EtcdEndpoint { get; init; }

    /// <summary>
    /// The built <c>wharf.dll</c>; default: the <c>WHARF_DLL</c> environment variable, else <c>wharf.dll</c> beside the
    /// test assembly, else <c>src/Wharf/bin/&lt;configuration&gt;/net10.0/wharf.dll</c> of the repository above it.
    /// </summary>
    public string? WharfDll { get; init; }

    /// <summary>How long a broker may take to start and be seen by the whole cluster.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Keep the data directories after dispose (for inspection).</summary>
    public bool KeepData { get; init; }
}
