using Wharf.Configuration;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// How a node uses etcd: where it is (<c>etcd.connect</c>), who this node is, and the timing of its session. The
/// defaults are Kafka's (<c>broker.session.timeout.ms</c> = 9000, <c>broker.heartbeat.interval.ms</c> = 2000).
/// Immutable.
/// </summary>
public sealed record EtcdMetadataOptions
{
    public required EtcdConnectString Connect { get; init; }

    /// <summary>This node's id (<c>node.id</c>): the value of its election key and the key of its registration.</summary>
    public required int NodeId { get; init; }

    /// <summary>
    /// <c>broker.session.timeout.ms</c>: the TTL of this node's lease (rounded up to whole seconds, as etcd counts
    /// them). A node that cannot renew it for this long loses its registration and its controller role.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMilliseconds(9000);

    /// <summary><c>broker.heartbeat.interval.ms</c>: how often the lease is renewed.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(2000);

    /// <summary>
    /// <c>controller.session.timeout.ms</c>: the TTL of the lease this node's controller-election key is attached to
    /// (whole seconds; etcd raises it to its own minimum, 2 s with etcd's default timing). A controller that dies is
    /// replaced about this long after its last renewal. Renewed four times per TTL.
    /// </summary>
    public TimeSpan ControllerSessionTimeout { get; init; } = TimeSpan.FromMilliseconds(2000);

    /// <summary>
    /// The deadline of one etcd call. A call to a member that just died hangs until it (measured: the client does not
    /// fail it sooner), so this bounds how long a member loss stalls a write before the retry goes elsewhere.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one operation (an append, a registration) keeps retrying before it gives up.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Snapshot bytes per etcd value (etcd refuses requests over ~1.5 MiB by default).</summary>
    public int SnapshotChunkBytes { get; init; } = 512 * 1024;

    /// <summary>Log keys read per range request while catching up.</summary>
    public int ReadPageSize { get; init; } = 256;

    /// <summary>
    /// The options a broker's config asks for: <c>etcd.connect</c>, <c>node.id</c>, <c>broker.session.timeout.ms</c>,
    /// <c>broker.heartbeat.interval.ms</c> and <c>controller.session.timeout.ms</c>.
    /// </summary>
    /// <exception cref="FormatException"><c>etcd.connect</c> is unset or cannot be parsed.</exception>
    public static EtcdMetadataOptions From(BrokerConfig config) => new()
    {
        Connect = EtcdConnectString.Parse(config.EtcdConnect ?? throw new FormatException("etcd.connect is not set.")),
        NodeId = config.NodeId,
        SessionTimeout = config.BrokerSessionTimeout,
        HeartbeatInterval = config.BrokerHeartbeatInterval,
        ControllerSessionTimeout = config.ControllerSessionTimeout,
    };

    /// <summary>The broker session's lease TTL in whole seconds (at least 1).</summary>
    internal long SessionTtlSeconds => WholeSeconds(SessionTimeout);

    /// <summary>The controller session's lease TTL in whole seconds (at least 1).</summary>
    internal long ControllerSessionTtlSeconds => WholeSeconds(ControllerSessionTimeout);

    private static long WholeSeconds(TimeSpan timeout) => Math.Max(1, (long)Math.Ceiling(timeout.TotalSeconds));
}
