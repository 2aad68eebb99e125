using Wharf.Server.Forwarding;

namespace Wharf.Server.Http.Api;

/// <summary>
/// What the JSON admin API under <c>/api/v1</c> can do — topics, messages, groups — over one <see cref="ClusterClient"/>
/// whose connection pool is the API's own kind of inter-broker traffic (client id <c>wharf-broker-N-admin-api</c>), so
/// an operator's browsing never queues behind replication or transaction markers.
/// Thread-safety: safe from any thread. Lifecycle: owned by <see cref="HttpAdminServer"/>, disposed after it stops.
/// </summary>
public sealed class AdminApi : IAsyncDisposable
{
    private readonly ClusterClient _cluster;

    public AdminApi(BrokerConnectionPool connections, int localNodeId, TimeProvider time)
    {
        _cluster = new ClusterClient(connections, localNodeId);
        Topics = new TopicAdmin(_cluster);
        Messages = new MessageBrowser(_cluster, time);
        Groups = new GroupAdmin(_cluster);
    }

    public TopicAdmin Topics { get; }

    public MessageBrowser Messages { get; }

    public GroupAdmin Groups { get; }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
