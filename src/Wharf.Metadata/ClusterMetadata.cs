namespace Wharf.Metadata;

/// <summary>
/// The metadata ports of a multi-node cluster, built by the composition root from <c>etcd.connect</c> (the server
/// never references the etcd adapter): the shared metadata log with its controller election, the broker registry,
/// the cluster id stored in the coordination service, and the connection that owns them (disposed last, after the
/// broker stopped using them). Immutable.
/// </summary>
public sealed record ClusterMetadata(IMetadataLog Log, IBrokerRegistry Registry, string ClusterId, IAsyncDisposable Connection);
