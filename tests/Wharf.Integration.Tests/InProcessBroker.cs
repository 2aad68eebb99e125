using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf.Integration.Tests;

/// <summary>
/// A <see cref="KafkaBroker"/> on a free port and a fresh data directory, for tests that also reach into the broker
/// (its partitions' logs) — which <c>WharfBroker</c>, the library for users' tests, deliberately does not expose.
/// Dispose stops it cleanly and deletes the directory.
/// </summary>
internal sealed class InProcessBroker : IAsyncDisposable
{
    private readonly string _directory;

    private InProcessBroker(KafkaBroker broker, string directory)
    {
        Broker = broker;
        _directory = directory;
    }

    public KafkaBroker Broker { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    public static Task<InProcessBroker> StartAsync() => StartAsync(null);

    /// <summary>
    /// A cluster member whose coordination service is <paramref name="store"/> (shared by the members of one test), so
    /// the test decides when sessions expire and who is controller. The etcd adapter is tested against real etcd
    /// elsewhere; this isolates what the broker does with the ports.
    /// </summary>
    public static Task<InProcessBroker> StartClusterMemberAsync(InMemoryMetadataStore store, int nodeId) =>
        StartAsync(
            MemberOf(store, nodeId),
            ("node.id", nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("offsets.topic.num.partitions", "3"),
            ("transaction.state.log.num.partitions", "3"));

    /// <summary>Node <paramref name="nodeId"/>'s ports to a shared in-memory coordination store (it needs no connection).</summary>
    public static ClusterMetadata MemberOf(InMemoryMetadataStore store, int nodeId) =>
        new(store.OpenLog(nodeId), store.OpenRegistry(nodeId), "in-memory-cluster", NoConnection.Instance);

    /// <summary>A <see cref="KafkaBroker"/> on a free loopback port over <paramref name="directory"/>, with config <paramref name="overrides"/>.</summary>
    public static Task<KafkaBroker> StartBrokerAsync(string directory, ClusterMetadata? cluster, params (string Key, string Value)[] overrides)
    {
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string>(),
            Overrides = [new("listeners", "PLAINTEXT://127.0.0.1:0"), new("http.listeners", "http://127.0.0.1:0"), new("log.dirs", directory), .. overrides.Select(o => new KeyValuePair<string, string>(o.Key, o.Value))],
        });
        return KafkaBroker.StartAsync(config, NullLoggerFactory.Instance, cluster: cluster);
    }

    private static async Task<InProcessBroker> StartAsync(ClusterMetadata? cluster, params (string Key, string Value)[] overrides)
    {
        var directory = Path.Combine(Path.GetTempPath(), "wharf-test-" + Guid.NewGuid().ToString("N"));
        return new InProcessBroker(await StartBrokerAsync(directory, cluster, overrides), directory);
    }

    public async Task CreateTopicAsync(string name, int partitions = 1, params (string Key, string Value)[] configs)
    {
        var request = new CreateTopicRequest(name, partitions, 1, [.. configs.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value))]);
        var result = (await Broker.Controller.CreateTopicsAsync([request], validateOnly: false, default))[0];
        Assert.True(result.Error == ErrorCode.None, $"creating {name}: {result.Error} {result.ErrorMessage}");
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>The in-memory store needs no connection of its own.</summary>
    private sealed class NoConnection : IAsyncDisposable
    {
        public static readonly NoConnection Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
