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

    public static async Task<InProcessBroker> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "wharf-test-" + Guid.NewGuid().ToString("N"));
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string>(),
            Overrides = [new("listeners", "PLAINTEXT://127.0.0.1:0"), new("log.dirs", directory)],
        });
        return new InProcessBroker(await KafkaBroker.StartAsync(config, NullLoggerFactory.Instance), directory);
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
}
