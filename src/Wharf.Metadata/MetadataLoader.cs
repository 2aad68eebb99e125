using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// Startup of the metadata layer. <see cref="OpenEmbeddedAsync"/> is the single-node path: check or create
/// <c>meta.properties</c> in the first data directory, open the embedded log (recovering a torn tail), replay the
/// snapshot and committed records into a <see cref="MetadataImage"/>, and return the <see cref="Controller"/>
/// over it with this node registered. Thread-safety: stateless.
/// </summary>
public static class MetadataLoader
{
    /// <summary>The image after the log's snapshot and every committed batch.</summary>
    /// <exception cref="InvalidDataException">a record does not fit the image (corrupt metadata).</exception>
    public static async Task<MetadataImage> ReplayAsync(IMetadataLog log, string clusterId, int nodeId, CancellationToken cancellationToken)
    {
        var image = MetadataImage.Empty(clusterId, nodeId, log.Leadership.ControllerId);
        var after = -1L;
        if (log.LatestSnapshot is { } snapshot)
        {
            image = ImageOf(snapshot, image);
            after = snapshot.Offset;
        }

        await foreach (var batch in log.ReadCommittedAsync(after, cancellationToken).ConfigureAwait(false))
        {
            image = image.Apply(batch);
        }

        return image;
    }

    /// <summary>The image a snapshot rebuilds, for the cluster and node of <paramref name="template"/>.</summary>
    /// <exception cref="InvalidDataException">a record does not fit the image (corrupt snapshot).</exception>
    public static MetadataImage ImageOf(MetadataSnapshot snapshot, MetadataImage template) =>
        snapshot.Records
            .Aggregate(MetadataImage.Empty(template.ClusterId, template.NodeId, template.ControllerId), (image, record) => image.Apply(record))
            .WithOffset(snapshot.Offset);

    /// <summary>
    /// Opens the single-node metadata under <see cref="BrokerConfig.DataDir"/> and returns its controller, with
    /// this node registered at <paramref name="advertisedListeners"/> (default: the configured ones; a broker
    /// bound to port 0 registers again with <see cref="Controller.RegisterBrokerAsync"/> once it knows its port).
    /// </summary>
    /// <exception cref="MetaPropertiesException">the data directory belongs to another node or cluster.</exception>
    /// <exception cref="InvalidDataException">the metadata log cannot be replayed.</exception>
    public static async Task<Controller> OpenEmbeddedAsync(
        BrokerConfig config,
        ControllerOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IReadOnlyList<Listener>? advertisedListeners = null,
        IDisk? disk = null,
        CancellationToken cancellationToken = default)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var meta = MetaProperties.LoadOrCreate(config.DataDir, config.NodeId, config.ClusterId, disk);
        var log = EmbeddedMetadataLog.Open(Path.Combine(config.DataDir, EmbeddedMetadataLog.DirectoryName), config.NodeId,
            loggerFactory.CreateLogger<EmbeddedMetadataLog>(), disk);
        try
        {
            var image = await ReplayAsync(log, meta.ClusterId, config.NodeId, cancellationToken).ConfigureAwait(false);
            var controller = new Controller(log, image, config, options, loggerFactory.CreateLogger<Controller>());
            var (error, message) = await controller.RegisterBrokerAsync(advertisedListeners ?? config.AdvertisedListeners, config.Rack, cancellationToken)
                .ConfigureAwait(false);
            if (error != Common.ErrorCode.None)
            {
                throw new IOException($"Registering node {config.NodeId} in the metadata failed: {message}");
            }

            return controller;
        }
        catch
        {
            await log.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a cluster node's metadata: checks or creates <c>meta.properties</c> for the cluster id kept in the
    /// coordination service (a data directory of another cluster is refused), replays the shared log into an image and
    /// returns the controller over it. Unlike <see cref="OpenEmbeddedAsync"/> nothing is registered here: the broker
    /// registers through <see cref="ClusterMetadata.Registry"/> once it knows its endpoints, and the active controller
    /// records it (<see cref="ControllerService"/>).
    /// </summary>
    /// <exception cref="MetaPropertiesException">the data directory belongs to another node or cluster.</exception>
    public static async Task<Controller> OpenClusterAsync(
        BrokerConfig config,
        ClusterMetadata cluster,
        ControllerOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IDisk? disk = null,
        CancellationToken cancellationToken = default)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var meta = MetaProperties.LoadOrCreate(config.DataDir, config.NodeId, cluster.ClusterId, disk);
        var image = await ReplayAsync(cluster.Log, meta.ClusterId, config.NodeId, cancellationToken).ConfigureAwait(false);
        return new Controller(cluster.Log, image, config, options, loggerFactory.CreateLogger<Controller>());
    }
}
