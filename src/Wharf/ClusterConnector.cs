using Microsoft.Extensions.Logging;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Metadata.Etcd;

namespace Wharf;

/// <summary>
/// The composition root's one etcd decision: with <c>etcd.connect</c> set the broker joins the cluster kept in that
/// etcd (under its prefix); without it, it is a single node. The cluster id is created by the first broker
/// (<c>cluster.id</c> when configured, else a new one) and read by every later one.
/// </summary>
internal static class ClusterConnector
{
    /// <summary>The cluster's metadata ports, or null for a single node.</summary>
    /// <exception cref="FormatException"><c>etcd.connect</c> cannot be parsed.</exception>
    /// <exception cref="TimeoutException">etcd could not be reached.</exception>
    /// <exception cref="MetaPropertiesException"><c>cluster.id</c> names another cluster than the one in etcd.</exception>
    public static async Task<ClusterMetadata?> ConnectAsync(BrokerConfig config, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (config.EtcdConnect is null)
        {
            return null;
        }

        var options = EtcdMetadataOptions.From(config);
        var store = await EtcdMetadataStore.ConnectAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
        try
        {
            var clusterId = await store.GetOrCreateClusterIdAsync(config.ClusterId ?? MetaProperties.NewClusterId(), cancellationToken).ConfigureAwait(false);
            if (config.ClusterId is { } configured && configured != clusterId)
            {
                throw new MetaPropertiesException($"cluster.id {configured} does not match the cluster kept in etcd at {options.Connect} ({clusterId}).");
            }

            return new ClusterMetadata(store.Log, store.Brokers, clusterId, store);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
