using Wharf.Storage;

namespace Wharf.Server;

/// <summary>What a broker needs to start; built from <c>BrokerConfig</c> by the executable or by Wharf.Testing.</summary>
public sealed record BrokerOptions
{
    public int NodeId { get; init; } = 1;

    /// <summary>Address the Kafka listener binds; port 0 picks a free port.</summary>
    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 9092;

    /// <summary>Host clients are told to connect to; defaults to <see cref="Host"/>.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>Port clients are told to connect to; defaults to the bound port.</summary>
    public int? AdvertisedPort { get; init; }

    public string DataDirectory { get; init; } = "./wharf-data";

    /// <summary>Defaults of every topic's log (broker-level <c>log.*</c> keys).</summary>
    public LogConfig DefaultLogConfig { get; init; } = LogConfig.Default;

    public int DefaultPartitions { get; init; } = 1;

    public bool AutoCreateTopics { get; init; } = true;

    public int MaxRequestBytes { get; init; } = 100 * 1024 * 1024;

    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
