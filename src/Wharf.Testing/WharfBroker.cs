using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Server;

namespace Wharf.Testing;

/// <summary>
/// An in-process Wharf broker for integration tests: <c>await using var broker = await WharfBroker.StartAsync();</c>
/// then point any Kafka client at <see cref="BootstrapServers"/>. It listens on 127.0.0.1 on a free port, keeps
/// its data in a fresh temporary directory, and removes it on dispose (unless <see cref="KeepData"/>).
/// <see cref="RestartAsync"/> stops it cleanly and starts it again on the same data and port.
/// </summary>
public sealed class WharfBroker : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private BrokerOptions _options;
    private KafkaBroker _broker;

    private WharfBroker(BrokerOptions options, KafkaBroker broker, ILoggerFactory loggerFactory)
    {
        _options = options;
        _broker = broker;
        _loggerFactory = loggerFactory;
    }

    /// <summary><c>127.0.0.1:port</c> for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => _broker.BootstrapServers;

    public string DataDirectory => _options.DataDirectory;

    public ITopicCatalog Topics => _broker.Catalog;

    /// <summary>Keep the data directory after dispose (for inspection).</summary>
    public bool KeepData { get; set; }

    public static async Task<WharfBroker> StartAsync(BrokerOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new BrokerOptions();
        if (options.DataDirectory == new BrokerOptions().DataDirectory)
        {
            options = options with { DataDirectory = Path.Combine(Path.GetTempPath(), "wharf-test-" + Guid.NewGuid().ToString("N")) };
        }

        options = options with { Host = "127.0.0.1", Port = options.Port == new BrokerOptions().Port ? 0 : options.Port };
        loggerFactory ??= NullLoggerFactory.Instance;
        var broker = await KafkaBroker.StartAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
        return new WharfBroker(options, broker, loggerFactory);
    }

    /// <summary>Stops cleanly and starts again on the same data directory and port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        var port = _broker.Endpoint.Port;
        await _broker.DisposeAsync().ConfigureAwait(false);
        _options = _options with { Port = port };
        _broker = await KafkaBroker.StartAsync(_options, _loggerFactory, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync().ConfigureAwait(false);
        if (!KeepData && Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }
}
