using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Network;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Handlers;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// A single-node broker: the partition logs (<see cref="LogManager"/>), the topics (<see cref="ITopicCatalog"/>),
/// the partitions it leads (<see cref="ReplicaManager"/>), the handlers, and a Kestrel Kafka listener.
/// Start with <see cref="StartAsync"/>; <see cref="DisposeAsync"/> is the clean stop (listener closed, logs
/// flushed and checkpointed, clean-shutdown marker written).
/// Thread-safety: start and stop from one thread; everything else is safe from any thread.
/// </summary>
public sealed class KafkaBroker : IAsyncDisposable
{
    private const int LeaderEpoch = 0;
    private readonly WebApplication _host;
    private readonly LogManager _logs;
    private readonly ILogger _logger;

    private KafkaBroker(WebApplication host, LogManager logs, ITopicCatalog catalog, BrokerEndpoint endpoint, ILogger logger)
    {
        _host = host;
        _logs = logs;
        Catalog = catalog;
        Endpoint = endpoint;
        _logger = logger;
    }

    public BrokerEndpoint Endpoint { get; }

    public ITopicCatalog Catalog { get; }

    /// <summary><c>host:port</c> for a client's <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => $"{Endpoint.Host}:{Endpoint.Port}";

    public string DataDirectory => _logs.DataDirectory;

    public static async Task<KafkaBroker> StartAsync(BrokerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var logger = loggerFactory.CreateLogger<KafkaBroker>();
        var catalog = LocalTopicCatalog.Open(options.DataDirectory, configs => ValidateTopicConfigs(configs, options.DefaultLogConfig));
        var logs = LogManager.Open(new LogManagerOptions
        {
            DataDirectory = options.DataDirectory,
            DefaultConfig = options.DefaultLogConfig,
            TopicConfig = topic => catalog.Topics.TryGetValue(topic, out var info) ? LogConfig.FromProperties(info.Configs, options.DefaultLogConfig) : null,
            Time = options.Time,
            LoggerFactory = loggerFactory,
            RetentionCheckInterval = options.RetentionCheckInterval,
        });
        try
        {
            var replicas = new ReplicaManager(logs, options.Time);
            SyncPartitions(replicas, logs, catalog, new Dictionary<string, TopicInfo>(), catalog.Topics, options);
            catalog.Changed += (before, after) => SyncPartitions(replicas, logs, catalog, before, after, options);

            var endpoint = new BrokerEndpoint(options.NodeId) { Host = options.AdvertisedHost ?? options.Host };
            var registry = (HandlerRegistry?)null;
            registry = new HandlerRegistry.Builder()
                .Add<ApiVersionsHandler, ApiVersionsRequest, ApiVersionsResponse>(new ApiVersionsHandler(() => registry!))
                .Add<MetadataHandler, MetadataRequest, MetadataResponse>(new MetadataHandler(catalog, replicas, endpoint, options))
                .Add<ProduceHandler, ProduceRequest, ProduceResponse>(new ProduceHandler(replicas, loggerFactory.CreateLogger<ProduceHandler>()))
                .Add<FetchHandler, FetchRequest, FetchResponse>(new FetchHandler(replicas))
                .Add<ListOffsetsHandler, ListOffsetsRequest, ListOffsetsResponse>(new ListOffsetsHandler(replicas))
                .Add<CreateTopicsHandler, CreateTopicsRequest, CreateTopicsResponse>(new CreateTopicsHandler(catalog, options))
                .Add<DeleteTopicsHandler, DeleteTopicsRequest, DeleteTopicsResponse>(new DeleteTopicsHandler(catalog))
                .Build();

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(loggerFactory);
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            builder.Services.AddSingleton<IRequestProcessor>(new RequestProcessor(registry, loggerFactory.CreateLogger<RequestProcessor>()));
            builder.Services.AddSingleton(new NetworkOptions { MaxRequestBytes = options.MaxRequestBytes });
            builder.WebHost.UseKestrel(kestrel =>
            {
                kestrel.Limits.MaxConcurrentConnections = null;
                kestrel.Listen(IPAddress.Parse(options.Host), options.Port, listen => listen.UseConnectionHandler<KafkaConnectionHandler>());
            });
            var host = builder.Build();
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            endpoint.Port = options.AdvertisedPort ?? new Uri(address).Port;
            return new KafkaBroker(host, logs, catalog, endpoint, logger);
        }
        catch
        {
            logs.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync().ConfigureAwait(false);
            await _host.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _logs.Dispose();
            _logger.LogInformation("Broker stopped cleanly; data in {DataDirectory}", _logs.DataDirectory);
        }
    }

    private static string? ValidateTopicConfigs(IReadOnlyDictionary<string, string> configs, LogConfig defaults)
    {
        try
        {
            LogConfig.FromProperties(configs, defaults).Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>Leads every partition of every topic in <paramref name="after"/>; drops those of removed topics.</summary>
    private static void SyncPartitions(ReplicaManager replicas, LogManager logs, ITopicCatalog catalog, IReadOnlyDictionary<string, TopicInfo> before, IReadOnlyDictionary<string, TopicInfo> after, BrokerOptions options)
    {
        foreach (var topic in after.Values)
        {
            var config = LogConfig.FromProperties(topic.Configs, options.DefaultLogConfig);
            if (before.TryGetValue(topic.Name, out var old) && old.Configs != topic.Configs)
            {
                logs.UpdateTopicConfig(topic.Name, config);
            }

            for (var i = 0; i < topic.PartitionCount; i++)
            {
                replicas.BecomeLeader(new TopicPartition(topic.Name, i), LeaderEpoch, config);
            }
        }

        foreach (var topic in before.Values.Where(t => !after.ContainsKey(t.Name)))
        {
            for (var i = 0; i < topic.PartitionCount; i++)
            {
                replicas.DeletePartition(new TopicPartition(topic.Name, i));
            }
        }
    }
}
