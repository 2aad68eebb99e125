using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// One node's connection to the cluster's etcd (design §6): the channel, the node's two sessions (the broker session
/// its registration hangs on, the shorter controller session its election key hangs on; see <see cref="EtcdSession"/>),
/// and on top of them the metadata log with the controller election (<see cref="Log"/>), the
/// broker registry (<see cref="Brokers"/>) and the cluster id. Everything lives under the prefix of
/// <c>etcd.connect</c> (key scheme in <see cref="EtcdKeys"/>).
/// Thread-safety: the parts are thread-safe; see each.
/// Lifecycle: <see cref="ConnectAsync"/> connects, grants the session lease and loads the current state;
/// <see cref="DisposeAsync"/> stops the watches and revokes the lease, so this node's registration and election key
/// vanish at once rather than after the session timeout (a clean stop is seen immediately).
/// </summary>
public sealed class EtcdMetadataStore : IAsyncDisposable
{
    private readonly EtcdConnection _etcd;
    private readonly EtcdSession _session;
    private readonly EtcdSession _controllerSession;

    private EtcdMetadataStore(EtcdConnection etcd, EtcdSession session, EtcdSession controllerSession, EtcdMetadataLog log, EtcdBrokerRegistry brokers)
    {
        _etcd = etcd;
        _session = session;
        _controllerSession = controllerSession;
        Log = log;
        Brokers = brokers;
    }

    public EtcdMetadataLog Log { get; }

    public EtcdBrokerRegistry Brokers { get; }

    public EtcdMetadataOptions Options => _etcd.Options;

    /// <summary>This node's session lease, or 0 between a loss and the next grant (diagnostics and tests).</summary>
    public long SessionLeaseId => _session.LeaseId;

    /// <summary>The lease this node's controller-election key hangs on, or 0 between a loss and the next grant (tests).</summary>
    public long ControllerSessionLeaseId => _controllerSession.LeaseId;

    /// <summary>How often the supervisor restarted the session's keep-alive stream (diagnostics and tests).</summary>
    public int KeepAliveRestarts => _session.KeepAliveRestarts;

    /// <summary>Tests only: cuts this node's lease traffic off (or restores it), as a network partition from etcd would.</summary>
    internal bool CutOffForTests
    {
        get => _session.CutOffForTests;
        set => _session.CutOffForTests = _controllerSession.CutOffForTests = value;
    }

    /// <summary>Connects to etcd and loads the current state.</summary>
    /// <exception cref="TimeoutException">etcd could not be reached within <see cref="EtcdMetadataOptions.OperationTimeout"/>.</exception>
    public static async Task<EtcdMetadataStore> ConnectAsync(EtcdMetadataOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var etcd = new EtcdConnection(options, loggerFactory.CreateLogger<EtcdMetadataStore>());
        var session = new EtcdSession(etcd, "broker", options.SessionTtlSeconds, options.HeartbeatInterval);
        var controllerSession = new EtcdSession(etcd, "controller", options.ControllerSessionTtlSeconds, options.ControllerSessionTimeout / 4);
        EtcdMetadataLog? log = null;
        EtcdBrokerRegistry? brokers = null;
        try
        {
            await session.StartAsync(cancellationToken).ConfigureAwait(false);
            await controllerSession.StartAsync(cancellationToken).ConfigureAwait(false);
            log = new EtcdMetadataLog(etcd, controllerSession, loggerFactory.CreateLogger<EtcdMetadataLog>());
            await log.StartAsync(cancellationToken).ConfigureAwait(false);
            brokers = new EtcdBrokerRegistry(etcd, session, loggerFactory.CreateLogger<EtcdBrokerRegistry>());
            await brokers.StartAsync(cancellationToken).ConfigureAwait(false);
            return new EtcdMetadataStore(etcd, session, controllerSession, log, brokers);
        }
        catch
        {
            if (brokers is not null)
            {
                await brokers.DisposeAsync().ConfigureAwait(false);
            }

            if (log is not null)
            {
                await log.DisposeAsync().ConfigureAwait(false);
            }

            await controllerSession.DisposeAsync().ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            etcd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The cluster's id: <paramref name="proposedClusterId"/> if this is the first broker (it is stored, create-if-absent),
    /// otherwise the one stored by the first broker. A broker whose data directory names another id must refuse to start.
    /// </summary>
    public async Task<string> GetOrCreateClusterIdAsync(string proposedClusterId, CancellationToken cancellationToken)
    {
        var key = _etcd.Keys.ClusterId;
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Version, Version = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(proposedClusterId) } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
        };
        var response = await _etcd.CallAsync("cluster id", o => _etcd.Kv.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
        return response.Succeeded ? proposedClusterId : response.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8();
    }

    public async ValueTask DisposeAsync()
    {
        await Brokers.DisposeAsync().ConfigureAwait(false);
        await Log.DisposeAsync().ConfigureAwait(false);
        await _controllerSession.DisposeAsync().ConfigureAwait(false);
        await _session.DisposeAsync().ConfigureAwait(false);
        _etcd.Dispose();
    }
}
