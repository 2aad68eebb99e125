using System.Globalization;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf.Integration.Tests;

/// <summary>
/// Brokers 1..n of one cluster in this process, each a <see cref="KafkaBroker"/> on a free port with its own data
/// directory, sharing an <see cref="InMemoryMetadataStore"/> in the place of etcd — for tests of requests that travel
/// between brokers (forwarding, transaction markers and verification) with real sockets and real clients, in
/// milliseconds. A broker can be stopped and started again on its data directory. Dispose stops all and deletes the
/// directories.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly InMemoryMetadataStore _store = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wharf-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly KafkaBroker?[] _brokers;

    private readonly (string Key, string Value)[] _settings;

    private InProcessCluster(int size, (string Key, string Value)[] settings)
    {
        _brokers = new KafkaBroker?[size + 1];
        _settings = settings;
    }

    /// <summary>Every running broker's address, for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => string.Join(",", _brokers.OfType<KafkaBroker>().Select(b => b.BootstrapServers));

    public KafkaBroker this[int nodeId] => _brokers[nodeId] ?? throw new InvalidOperationException($"Broker {nodeId} is stopped.");

    /// <summary>Starts brokers 1..<paramref name="size"/>, each with <paramref name="settings"/> on top of the test defaults.</summary>
    public static async Task<InProcessCluster> StartAsync(int size, params (string Key, string Value)[] settings)
    {
        var cluster = new InProcessCluster(size, settings);
        try
        {
            await Task.WhenAll(Enumerable.Range(1, size).Select(cluster.StartBrokerAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts broker <paramref name="nodeId"/> on its data directory (again, after <see cref="StopBrokerAsync"/>).</summary>
    public async Task StartBrokerAsync(int nodeId)
    {
        _brokers[nodeId] = await InProcessBroker.StartBrokerAsync(
            Path.Combine(_directory, $"n{nodeId}"),
            InProcessBroker.MemberOf(_store, nodeId),
            [
                ("node.id", nodeId.ToString(CultureInfo.InvariantCulture)),
                ("offsets.topic.num.partitions", "6"),
                ("transaction.state.log.num.partitions", "6"),
                ("group.initial.rebalance.delay.ms", "0"),
                .. _settings,
            ]);
    }

    /// <summary>Stops broker <paramref name="nodeId"/> cleanly (it unregisters; the controller moves or suspends its leaderships).</summary>
    public async Task StopBrokerAsync(int nodeId)
    {
        var broker = this[nodeId];
        _brokers[nodeId] = null;
        await broker.DisposeAsync();
    }

    /// <summary>Waits until every running broker's image satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForImagesAsync(Func<MetadataImage, bool> condition, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await Task.WhenAll(_brokers.OfType<KafkaBroker>().Select(b => b.Controller.WaitForImageAsync(condition, cancel.Token)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var broker in _brokers.OfType<KafkaBroker>())
        {
            await broker.DisposeAsync();
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
