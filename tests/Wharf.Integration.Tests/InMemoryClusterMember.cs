using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf.Integration.Tests;

/// <summary>
/// A real broker (listener, logs, handlers) running as a cluster member whose coordination service is a shared
/// <see cref="InMemoryMetadataStore"/>, so a test decides when sessions expire and who is controller. The etcd
/// adapter itself is tested against real etcd elsewhere; this isolates what the broker does with the ports.
/// </summary>
internal sealed class InMemoryClusterMember : IAsyncDisposable
{
    private readonly string _directory;

    private InMemoryClusterMember(KafkaBroker broker, string directory)
    {
        Broker = broker;
        _directory = directory;
    }

    public KafkaBroker Broker { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    public static async Task<InMemoryClusterMember> StartAsync(InMemoryMetadataStore store, int nodeId, params (string Key, string Value)[] overrides)
    {
        var directory = Path.Combine(Path.GetTempPath(), "wharf-member-" + Guid.NewGuid().ToString("N"));
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string>(),
            Overrides =
            [
                new("listeners", "PLAINTEXT://127.0.0.1:0"),
                new("log.dirs", directory),
                new("node.id", nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("offsets.topic.num.partitions", "3"),
                new("transaction.state.log.num.partitions", "3"),
                .. overrides.Select(o => new KeyValuePair<string, string>(o.Key, o.Value)),
            ],
        });
        var cluster = new ClusterMetadata(store.OpenLog(nodeId), store.OpenRegistry(nodeId), "in-memory-cluster", new NoConnection());
        return new InMemoryClusterMember(await KafkaBroker.StartAsync(config, NullLoggerFactory.Instance, cluster: cluster), directory);
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class NoConnection : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
