using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf.Console.Tests;

/// <summary>
/// Brokers 1..N in this process, members of one cluster over a shared in-memory metadata store (no etcd), each on free
/// loopback ports (Kafka and HTTP) with its own data directory; disposed in reverse order, directories removed.
/// </summary>
public sealed class InMemoryCluster : IAsyncDisposable
{
    private readonly List<(KafkaBroker Broker, string Directory)> _members = [];

    public IReadOnlyList<KafkaBroker> Brokers => [.. _members.Select(m => m.Broker)];

    public static async Task<InMemoryCluster> StartAsync(int brokers)
    {
        var store = new InMemoryMetadataStore();
        var cluster = new InMemoryCluster();
        try
        {
            for (var nodeId = 1; nodeId <= brokers; nodeId++)
            {
                var directory = Path.Combine(Path.GetTempPath(), "wharf-test-" + Guid.NewGuid().ToString("N"));
                var config = BrokerConfigLoader.Load(new BrokerConfigSources
                {
                    Environment = new Dictionary<string, string>(),
                    Overrides =
                    [
                        new("listeners", "PLAINTEXT://127.0.0.1:0"),
                        new("http.listeners", "http://127.0.0.1:0"),
                        new("log.dirs", directory),
                        new("node.id", nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                        new("offsets.topic.num.partitions", "4"),
                        new("transaction.state.log.num.partitions", "2"),
                    ],
                });
                var membership = new ClusterMetadata(store.OpenLog(nodeId), store.OpenRegistry(nodeId), "in-memory-cluster", NoConnection.Instance);
                cluster._members.Add((await KafkaBroker.StartAsync(config, NullLoggerFactory.Instance, cluster: membership), directory));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Uri HttpAddress(int nodeId) => new($"http://{_members[nodeId - 1].Broker.HttpEndPoint}/");

    public async ValueTask DisposeAsync()
    {
        for (var i = _members.Count - 1; i >= 0; i--)
        {
            await _members[i].Broker.DisposeAsync();
            if (Directory.Exists(_members[i].Directory))
            {
                Directory.Delete(_members[i].Directory, recursive: true);
            }
        }
    }

    /// <summary>The in-memory store needs no connection of its own.</summary>
    private sealed class NoConnection : IAsyncDisposable
    {
        public static readonly NoConnection Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
