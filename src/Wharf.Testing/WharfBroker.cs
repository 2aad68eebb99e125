using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf.Testing;

/// <summary>
/// An in-process Wharf broker for integration tests: <c>await using var broker = await WharfBroker.StartAsync();</c>
/// then point any Kafka client at <see cref="BootstrapServers"/>. It listens on 127.0.0.1 on a free port, keeps
/// its data in a fresh temporary directory, and removes it on dispose (unless <see cref="KeepData"/>). Settings
/// are Kafka broker keys (e.g. <c>num.partitions</c>, <c>log.flush.mode</c>). <see cref="RestartAsync"/> stops it
/// cleanly and starts it again on the same data and port.
/// </summary>
public sealed class WharfBroker : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, string> _settings;
    private readonly IDisk? _disk;
    private KafkaBroker _broker;

    private WharfBroker(Dictionary<string, string> settings, KafkaBroker broker, ILoggerFactory loggerFactory, TimeProvider time, IDisk? disk)
    {
        _settings = settings;
        _disk = disk;
        _broker = broker;
        _loggerFactory = loggerFactory;
        _time = time;
    }

    /// <summary><c>127.0.0.1:port</c> for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => _broker.BootstrapServers;

    public string DataDirectory => _settings["log.dirs"];

    /// <summary>The broker's configuration, as loaded from the settings.</summary>
    public BrokerConfig Config => _broker.Config;

    /// <summary>
    /// The base address of the broker's HTTP listener (<c>/metrics</c>, <c>/health/live</c>, <c>/health/ready</c>) on a
    /// free port, or null when <c>http.listeners</c> was set empty.
    /// </summary>
    public Uri? HttpAddress => _broker.HttpEndPoint is { } http ? new Uri($"http://{http}/") : null;

    /// <summary>The broker's metadata controller: topics, configs, the current metadata image.</summary>
    public Controller Controller => _broker.Controller;

    /// <summary>Keep the data directory after dispose (for inspection).</summary>
    public bool KeepData { get; set; }

    /// <summary>
    /// Starts a broker with <paramref name="settings"/> (Kafka broker keys). <paramref name="disk"/> replaces the
    /// machine's file system for every write and fsync, e.g. with a test disk that fails on purpose or simulates a
    /// power cut.
    /// </summary>
    public static async Task<WharfBroker> StartAsync(
        IReadOnlyDictionary<string, string>? settings = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? time = null,
        IDisk? disk = null,
        CancellationToken cancellationToken = default)
    {
        var effective = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["listeners"] = settings?.GetValueOrDefault("listeners") ?? "PLAINTEXT://127.0.0.1:0",
            ["log.dirs"] = settings?.GetValueOrDefault("log.dirs") ?? Path.Combine(Path.GetTempPath(), "wharf-test-" + Guid.NewGuid().ToString("N")),
            // Many brokers run at once in tests: never the default 9644.
            ["http.listeners"] = settings?.GetValueOrDefault("http.listeners") ?? DefaultHttpListener(settings?.GetValueOrDefault("listeners")),
        };
        loggerFactory ??= NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        var broker = await KafkaBroker.StartAsync(Load(effective), loggerFactory, time, disk, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new WharfBroker(effective, broker, loggerFactory, time, disk);
    }

    /// <summary>
    /// Port 0, unless the test picked the Kafka port itself (a free port it then released): HTTP binds first, and port 0
    /// may then be handed that very port, so HTTP gets a picked port of its own.
    /// </summary>
    private static string DefaultHttpListener(string? kafkaListeners) =>
        kafkaListeners is not null && int.TryParse(kafkaListeners[(kafkaListeners.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture, out var kafkaPort) && kafkaPort != 0
            ? $"http://127.0.0.1:{LocalProcesses.FreePortWhere(p => p != kafkaPort)}"
            : "http://127.0.0.1:0";

    /// <summary>Creates a topic, throwing when the controller refuses it.</summary>
    public async Task CreateTopicAsync(string name, int partitions = 1, IReadOnlyDictionary<string, string>? configs = null, CancellationToken cancellationToken = default)
    {
        var request = new CreateTopicRequest(name, partitions, 1, configs?.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)).ToList());
        var result = (await _broker.Controller.CreateTopicsAsync([request], validateOnly: false, cancellationToken).ConfigureAwait(false))[0];
        if (result.Error != Common.ErrorCode.None)
        {
            throw new InvalidOperationException($"Creating topic '{name}' failed: {result.Error} {result.ErrorMessage}");
        }
    }

    /// <summary>Stops cleanly and starts again on the same data directory and port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        var port = _broker.Advertised.Port;
        await _broker.DisposeAsync().ConfigureAwait(false);
        if (_settings["listeners"].EndsWith(":0", StringComparison.Ordinal))
        {
            _settings["listeners"] = $"PLAINTEXT://127.0.0.1:{port}";
        }

        _broker = await KafkaBroker.StartAsync(Load(_settings), _loggerFactory, _time, _disk, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync().ConfigureAwait(false);
        if (!KeepData && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private static BrokerConfig Load(Dictionary<string, string> settings) =>
        BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string>(),
            Overrides = [.. settings],
        });
}
