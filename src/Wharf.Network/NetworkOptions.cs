using Wharf.Protocol;

namespace Wharf.Network;

/// <summary>Limits and per-connection concurrency the network layer enforces before any request is decoded.</summary>
public sealed record NetworkOptions
{
    /// <summary><c>socket.request.max.bytes</c>: a larger frame closes the connection before it is buffered.</summary>
    public int MaxRequestBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary>
    /// <c>connections.max.idle.ms</c>: a connection with no request in progress and nothing received or sent for this
    /// long is closed, as Kafka's socket server does (clients reconnect when they need to). Null never closes one.
    /// </summary>
    public TimeSpan? ConnectionsMaxIdle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The clock of the idle check (tests drive it with a fake).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Name of the listener, as in <c>listeners</c> (e.g. PLAINTEXT).</summary>
    public string ListenerName { get; init; } = "PLAINTEXT";

    /// <summary>Requests of one connection that may be in progress at once (pipelined APIs only).</summary>
    public int MaxInFlightRequests { get; init; } = 16;

    /// <summary>
    /// APIs whose next request on a connection may start before this one completes. Their processors must be
    /// done with the frame's memory when <see cref="IRequestProcessor.ProcessAsync"/> returns (the Produce
    /// handler copies each batch before its first await), and requests must take effect in arrival order
    /// synchronously (appends are issued in order; only their durability is awaited concurrently). Every other
    /// API is processed one request at a time, as Kafka does.
    /// </summary>
    public IReadOnlySet<ApiKey> PipelinedApis { get; init; } = new HashSet<ApiKey> { ApiKey.Produce };
}
