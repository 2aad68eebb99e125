using System.Net;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Coordinator.Share;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Network;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Server.Replication;
using Wharf.Server.Handlers;
using Wharf.Server.Http;
using Wharf.Server.Http.Api;
using Wharf.Server.Retention;
using Wharf.Server.Transactions;
using Wharf.Storage;
using CreatePartitionsRequest = Wharf.Protocol.Messages.CreatePartitionsRequest;

namespace Wharf.Server;

/// <summary>
/// A broker: the metadata <see cref="Controller"/> (the embedded metadata log of a single node, or a cluster's shared log
/// with <see cref="ClusterMembership"/>), the partition logs
/// (<see cref="LogManager"/>), the partitions it leads (<see cref="ReplicaManager"/>, kept in step with the
/// metadata image by <see cref="PartitionSync"/>), the handlers, and a Kafka listener (<see cref="KafkaListener"/>).
/// Start with <see cref="StartAsync"/>; <see cref="DisposeAsync"/> is the clean stop (listener closed, logs
/// flushed and checkpointed, clean-shutdown marker written, metadata log closed).
/// Thread-safety: start and stop from one thread; everything else is safe from any thread.
/// </summary>
public sealed class KafkaBroker : IAsyncDisposable
{
    private readonly KafkaListener _listener;
    private readonly LogManager _logs;
    private readonly ILogger _logger;

    private readonly ControllerForwarder _forwarder;
    private readonly InterBrokerConnections _interBroker;
    private readonly IDisposable _coordinatorLeadership;
    private readonly ClusterMembership? _membership;
    private readonly ClusterMetadata? _cluster;
    private readonly DataDirectoryLock _directoryLock;
    private ReplicaFetcherManager? _fetchers;
    private ConsumedOffsetTracker? _consumedOffsets;
    private HttpAdminServer? _http;

    private KafkaBroker(BrokerConfig config, KafkaListener listener, LogManager logs, Controller controller, ReplicaManager replicas, GroupCoordinator groups, TransactionCoordinator transactions, ControllerForwarder forwarder, InterBrokerConnections interBroker, IDisposable coordinatorLeadership, ClusterMembership? membership, ClusterMetadata? cluster, DataDirectoryLock directoryLock, Listener advertised, ILogger logger)
    {
        _directoryLock = directoryLock;
        _forwarder = forwarder;
        _interBroker = interBroker;
        _coordinatorLeadership = coordinatorLeadership;
        _membership = membership;
        _cluster = cluster;
        Config = config;
        Groups = groups;
        Transactions = transactions;
        _listener = listener;
        _logs = logs;
        Controller = controller;
        Replicas = replicas;
        Advertised = advertised;
        _logger = logger;
    }

    /// <summary>The configuration it runs with; <see cref="BrokerConfig.Usage"/> records which keys it has read.</summary>
    public BrokerConfig Config { get; }

    public Controller Controller { get; }

    public ReplicaManager Replicas { get; }

    /// <summary>Where this broker's partition leaders send ISR changes (AlterPartition to the active controller).</summary>
    public required IAlterPartitionSender AlterPartitions { get; init; }

    /// <summary>The group coordinator over <c>__consumer_offsets</c>.</summary>
    public GroupCoordinator Groups { get; }

    /// <summary>The transaction coordinator over <c>__transaction_state</c>.</summary>
    public TransactionCoordinator Transactions { get; }

    /// <summary>Share groups: the share coordinator over <c>__share_group_state</c> and the share-partitions led here.</summary>
    public required ShareGroupSetup Shares { get; init; }

    /// <summary>The consumed offsets of the partitions led here whose topic sets <c>retention.consumed.groups</c>; what the retention pass reads.</summary>
    public ConsumedOffsetTracker ConsumedOffsets => _consumedOffsets!;

    /// <summary>The address clients are told to use (with the bound port when the listener asked for port 0).</summary>
    public Listener Advertised { get; }

    /// <summary>This broker's Prometheus registry and request metrics (served on <c>/metrics</c>).</summary>
    public required BrokerMetrics Metrics { get; init; }

    /// <summary>What <c>/health/ready</c> answers.</summary>
    public required BrokerReadiness Readiness { get; init; }

    /// <summary>Where the HTTP listener (<c>http.listeners</c>) is bound, with the real port; null when it is off.</summary>
    public IPEndPoint? HttpEndPoint => _http?.LocalEndPoint;

    /// <summary><c>host:port</c> for a client's <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => $"{Advertised.Host}:{Advertised.Port}";

    public string DataDirectory => _logs.DataDirectory;

    /// <summary>True when this broker is a member of a multi-node cluster (etcd) rather than a single node.</summary>
    public bool IsClusterMember => _cluster is not null;

    /// <summary>
    /// Starts the broker; writes and fsyncs go through <paramref name="disk"/> (the machine's file system by default).
    /// With <paramref name="cluster"/> it joins that cluster (shared metadata log, registry, controller election) and
    /// owns it from then on; without, it is a single node on the embedded metadata log in its data directory.
    /// </summary>
    public static async Task<KafkaBroker> StartAsync(BrokerConfig config, ILoggerFactory loggerFactory, TimeProvider? time = null, IDisk? disk = null, ClusterMetadata? cluster = null, CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        disk ??= LocalDisk.Instance;
        var directoryLock = DataDirectoryLock.Acquire(config.DataDir);
        var logger = loggerFactory.CreateLogger<KafkaBroker>();
        foreach (var warning in config.Warnings)
        {
            logger.LogWarning("{Warning}", warning);
        }

        Controller controller;
        try
        {
            controller = cluster is null
                ? await MetadataLoader.OpenEmbeddedAsync(config, loggerFactory: loggerFactory, disk: disk, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await MetadataLoader.OpenClusterAsync(config, cluster, loggerFactory: loggerFactory, disk: disk, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            directoryLock.Dispose();
            if (cluster is not null)
            {
                await cluster.Connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var metrics = new BrokerMetrics();

        // With no HTTP listener nobody can read the metrics, so the hot path does not record them either (this is
        // also how the benchmarks measure what recording costs).
        var recorded = config.HttpListener is null ? null : metrics;
        var readiness = new BrokerReadiness();
        HttpAdminServer? http = null;
        LogManager? logs = null;
        ClusterMembership? membership = null;
        IDisposable? coordinatorLeadership = null;
        GroupCoordinator? groups = null;
        TransactionCoordinator? transactions = null;
        ShareGroupSetup? shares = null;
        KafkaListener? network = null;
        ControllerForwarder? forwarder = null;
        ReplicaFetcherManager? fetchers = null;
        ConsumedOffsetTracker? consumedOffsets = null;
        var interBroker = new InterBrokerConnections(controller, config);
        try
        {
            // Up before the logs are recovered, so probes see "live, not ready" during a long recovery.
            if (config.HttpListener is { } httpListener)
            {
                // The admin API is a client of the cluster over its own connections (see AdminApi).
                var api = new AdminApi(new BrokerConnectionPool(() => controller.Current, config.Listeners[0].Name, $"wharf-broker-{config.NodeId}-admin-api"), config.NodeId, time);
                http = await HttpAdminServer.StartAsync(new IPEndPoint(ResolveAddress(httpListener.Host), httpListener.Port), new HttpAdminRoutes(metrics, readiness), api,
                    HostGuard.AllowedHosts(config.HttpAllowedHosts, [httpListener.Host, .. config.Listeners.Select(l => l.Host), .. config.AdvertisedListeners.Select(l => l.Host)]), loggerFactory, cancellationToken).ConfigureAwait(false);
            }

            logs = LogManager.Open(LogManagerSetup.Options(config, controller.TopicConfigs, topic => controller.Current.GetTopicConfigs(topic)) with
            {
                Time = time,
                LoggerFactory = loggerFactory,
                Disk = disk,
                Metrics = recorded?.Storage,
                // The tracker needs the group coordinator, which needs the logs: until it exists, nothing is known to be consumed.
                ConsumedOffset = partition => Volatile.Read(ref consumedOffsets)?.ConsumedOffset(partition),
            });
            readiness.NotReady("starting: loading coordinators");
            forwarder = new ControllerForwarder(controller, config.Listeners[0].Name, loggerFactory.CreateLogger<ControllerForwarder>());

            // Partition leaders propose ISR changes to the active controller through it (a single node never does: it
            // is its partitions' only replica).
            var alterPartition = new AlterPartitionSender(controller, forwarder, loggerFactory.CreateLogger<AlterPartitionSender>());
            var replicas = new ReplicaManager(logs, time, loggerFactory.CreateLogger<ReplicaManager>(), new ReplicaManagerOptions
            {
                ReplicaLagTimeMax = config.ReplicaLagTimeMax,
                AlterPartition = cluster is null ? null : alterPartition,
            });
            var sync = new PartitionSync(replicas, controller);
            controller.ImageChanged += sync.Apply;
            if (cluster is not null)
            {
                // A cluster member leads nothing until it is registered and recorded live: until then another live
                // process may hold this node id (a refused duplicate must never accept a write).
                replicas.SuspendLeadership("not registered yet");
            }

            sync.Apply(MetadataImage.Empty(controller.Current.ClusterId, config.NodeId, config.NodeId), controller.Current);
            if (cluster is not null)
            {
                membership = ClusterMembership.Start(cluster, controller, replicas, config, time, loggerFactory);
                fetchers = new ReplicaFetcherManager(replicas, () => controller.Current, config.Listeners[0].Name, config.NodeId, ReplicaFetcherOptions.From(config), loggerFactory.CreateLogger<ReplicaFetcherManager>());
            }

            groups = await GroupCoordinatorSetup.StartAsync(config, controller, replicas, createTopic: cluster is null, time, loggerFactory, cancellationToken).ConfigureAwait(false);
            var producerIds = new ProducerIdManager(controller, config.NodeId, loggerFactory.CreateLogger<ProducerIdManager>(), forwarder);
            transactions = await TransactionCoordinatorSetup.StartAsync(config, controller, replicas, groups, producerIds, interBroker.Markers, createTopic: cluster is null, time, loggerFactory, cancellationToken).ConfigureAwait(false);
            var verifier = new TransactionVerifier(transactions, controller, interBroker.Verification, loggerFactory.CreateLogger<TransactionVerifier>());
            var topics = new TopicCreator(controller, forwarder);
            shares = await ShareGroupSetup.StartAsync(config, controller, replicas, groups, topics, interBroker.Shares, group => ShareGroupConfigs.Resolve(config, controller.Current.GetGroupConfigs(group)), createTopic: cluster is null, time, loggerFactory, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref consumedOffsets, ConsumedRetentionSetup.Start(config, controller, replicas,
                ConsumedRetentionSetup.GroupProgressSources(groups, shares.Persister, controller, interBroker.GroupProgress, loggerFactory), time, loggerFactory));
            coordinatorLeadership = CoordinatorLeadership.Follow(replicas, groups, transactions, logger, shares.Coordinator);

            var registry = (HandlerRegistry?)null;
            var builder = new HandlerRegistry.Builder()
                .Add<ApiVersionsHandler, ApiVersionsRequest, ApiVersionsResponse>(new ApiVersionsHandler(() => registry!))
                .Add<MetadataHandler, MetadataRequest, MetadataResponse>(new MetadataHandler(controller, replicas, topics))
                .Add<ProduceHandler, ProduceRequest, ProduceResponse>(new ProduceHandler(replicas, loggerFactory.CreateLogger<ProduceHandler>(), verifier, recorded?.Topics))
                .Add<InitProducerIdHandler, InitProducerIdRequest, InitProducerIdResponse>(new InitProducerIdHandler(producerIds, loggerFactory.CreateLogger<InitProducerIdHandler>(), transactions))
                .Add<FetchHandler, FetchRequest, FetchResponse>(new FetchHandler(replicas, config.FetchMaxBytes, config.ReplicaFetchLinger, recorded?.Topics))
                .Add<ListOffsetsHandler, ListOffsetsRequest, ListOffsetsResponse>(new ListOffsetsHandler(replicas))
                .Add<OffsetForLeaderEpochHandler, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(new OffsetForLeaderEpochHandler(replicas))
                .AddForwarded<CreateTopicsHandler, CreateTopicsRequest, CreateTopicsResponse>(new CreateTopicsHandler(controller), forwarder)
                .AddForwarded<DeleteTopicsHandler, DeleteTopicsRequest, DeleteTopicsResponse>(new DeleteTopicsHandler(controller), forwarder)
                .AddForwarded<CreatePartitionsHandler, CreatePartitionsRequest, CreatePartitionsResponse>(new CreatePartitionsHandler(controller), forwarder)
                .Add<AllocateProducerIdsHandler, AllocateProducerIdsRequest, AllocateProducerIdsResponse>(new AllocateProducerIdsHandler(controller))
                .Add<AlterPartitionHandler, AlterPartitionRequest, AlterPartitionResponse>(new AlterPartitionHandler(controller))
                .AddForwarded<AlterPartitionReassignmentsHandler, AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(new AlterPartitionReassignmentsHandler(controller), forwarder)
                .AddForwarded<ListPartitionReassignmentsHandler, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(new ListPartitionReassignmentsHandler(controller), forwarder)
                .Add<DeleteRecordsHandler, DeleteRecordsRequest, DeleteRecordsResponse>(new DeleteRecordsHandler(replicas))
                .Add<DescribeConfigsHandler, DescribeConfigsRequest, DescribeConfigsResponse>(new DescribeConfigsHandler(controller))
                .AddForwarded<AlterConfigsHandler, AlterConfigsRequest, AlterConfigsResponse>(new AlterConfigsHandler(controller), forwarder)
                .AddForwarded<IncrementalAlterConfigsHandler, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(new IncrementalAlterConfigsHandler(controller), forwarder)
                .Add<DescribeClusterHandler, DescribeClusterRequest, DescribeClusterResponse>(new DescribeClusterHandler(controller))
                .Add<DescribeTopicPartitionsHandler, DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>(new DescribeTopicPartitionsHandler(controller, replicas))
                .Add<DescribeLogDirsHandler, DescribeLogDirsRequest, DescribeLogDirsResponse>(new DescribeLogDirsHandler(replicas))
                .AddGroupHandlers(groups, controller, topics, transactions, shares.Admin)
                .AddTransactionHandlers(transactions, groups, controller, replicas, verifier, loggerFactory);
            registry = shares.AddHandlers(builder, groups, controller, replicas).Build();

            var listener = config.Listeners[0];
            network = KafkaListener.Start(
                new IPEndPoint(ResolveAddress(listener.Host), listener.Port),
                new RequestProcessor(registry, loggerFactory.CreateLogger<RequestProcessor>(), recorded?.Requests),
                new NetworkOptions
                {
                    MaxRequestBytes = config.SocketRequestMaxBytes,
                    ListenerName = listener.Name,
                    ConnectionsMaxIdle = TimeSpan.FromMilliseconds(config.ConnectionsMaxIdleMs),
                    Time = time,
                },
                loggerFactory);
            var kafkaListener = network;
            metrics.Bind(replicas, groups, () => kafkaListener.ConnectionCount, shares.Manager, () => controller.IsActive);
            readiness.NotReady(membership is null ? "starting: registering the listener" : "starting: registering with the cluster");
            var boundPort = network.LocalEndPoint.Port;
            var advertised = config.AdvertisedListeners[0];
            if (advertised.Port == 0)
            {
                advertised = advertised with { Port = boundPort };
                if (membership is null)
                {
                    await controller.RegisterBrokerAsync([advertised], config.Rack, cancellationToken).ConfigureAwait(false);
                }
            }

            if (membership is not null)
            {
                await membership.RegisterAsync(advertised, config.Rack, RegistrationReadyTimeout, cancellationToken).ConfigureAwait(false);
            }

            readiness.Ready();
            logger.LogInformation("Broker ready: kafka={Kafka} http={Http}", $"{advertised.Host}:{advertised.Port}", http?.LocalEndPoint.ToString() ?? "off");
            return new KafkaBroker(config, network, logs, controller, replicas, groups, transactions, forwarder, interBroker, coordinatorLeadership, membership, cluster, directoryLock, advertised, logger)
            {
                AlterPartitions = alterPartition,
                Shares = shares,
                Metrics = metrics,
                Readiness = readiness,
                _fetchers = fetchers,
                _consumedOffsets = consumedOffsets,
                _http = http,
            };
        }
        catch
        {
            if (fetchers is not null)
            {
                await fetchers.DisposeAsync().ConfigureAwait(false);
            }

            if (membership is not null)
            {
                await membership.DisposeAsync().ConfigureAwait(false);
            }

            if (network is not null)
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }

            if (http is not null)
            {
                await http.DisposeAsync().ConfigureAwait(false);
            }

            if (consumedOffsets is not null)
            {
                await consumedOffsets.DisposeAsync().ConfigureAwait(false);
            }

            coordinatorLeadership?.Dispose();

            shares?.Dispose();
            transactions?.Dispose();
            groups?.Dispose();
            logs?.Dispose();
            if (forwarder is not null)
            {
                await forwarder.DisposeAsync().ConfigureAwait(false);
            }

            await interBroker.DisposeAsync().ConfigureAwait(false);

            await controller.DisposeAsync().ConfigureAwait(false);
            if (cluster is not null)
            {
                await cluster.Connection.DisposeAsync().ConfigureAwait(false);
            }

            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>How long a joining broker waits for the controller to record it before it reports ready anyway.</summary>
    private static readonly TimeSpan RegistrationReadyTimeout = TimeSpan.FromSeconds(30);

    public async ValueTask DisposeAsync()
    {
        Readiness.NotReady("stopping");
        try
        {
            if (_membership is not null)
            {
                await _membership.DisposeAsync().ConfigureAwait(false);
            }

            await _listener.DisposeAsync().ConfigureAwait(false);
            if (_http is not null)
            {
                await _http.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            if (_fetchers is not null)
            {
                await _fetchers.DisposeAsync().ConfigureAwait(false);
            }

            if (_consumedOffsets is not null)
            {
                await _consumedOffsets.DisposeAsync().ConfigureAwait(false);
            }

            _coordinatorLeadership.Dispose();
            Shares.Dispose();
            Transactions.Dispose();
            Groups.Dispose();
            Replicas.Dispose();
            _logs.Dispose();
            await _forwarder.DisposeAsync().ConfigureAwait(false);
            await _interBroker.DisposeAsync().ConfigureAwait(false);
            await Controller.DisposeAsync().ConfigureAwait(false);
            if (_cluster is not null)
            {
                await _cluster.Connection.DisposeAsync().ConfigureAwait(false);
            }

            _directoryLock.Dispose();
            _logger.LogInformation("Broker stopped cleanly; data in {DataDirectory}", _logs.DataDirectory);
        }
    }

    private static IPAddress ResolveAddress(string host) =>
        host.Length == 0 ? IPAddress.Any
        : IPAddress.TryParse(host, out var address) ? address
        : host == "localhost" ? IPAddress.Loopback
        : Dns.GetHostAddresses(host).First();
}
