using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using V3Electionpb;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// One gRPC channel to the etcd members (round-robin over the endpoints; a dead member's subchannel is skipped once
/// its connection fails) and the generated etcd clients on it. We call the generated clients directly rather than
/// dotnet-etcd's <c>EtcdClient</c> wrapper: every call gets a deadline, watches and keep-alives are our own loops
/// (the wrapper's watch prints to stdout when it reconnects, and its keep-alive loop dies silently).
/// <para>
/// <see cref="CallAsync{T}"/> is the one place that retries: each attempt has <see cref="EtcdMetadataOptions.RequestTimeout"/>
/// as deadline, transient failures (member unavailable, deadline, connection reset, leader change) are retried with
/// backoff until <see cref="EtcdMetadataOptions.OperationTimeout"/>. Only idempotent requests may go through it: reads,
/// compare-guarded transactions, puts of fixed values. A timed-out write has an unknown outcome; callers resolve it
/// with the compare of their next attempt.
/// </para>
/// Thread-safety: gRPC clients are thread-safe; this class holds no mutable state.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    /// <summary>etcd cancels a watch whose member lost its raft leader only when asked (clientv3's WithRequireLeader).</summary>
    private static readonly Grpc.Core.Metadata RequireLeader = new() { { "hasleader", "true" } };

    private readonly GrpcChannel _channel;
    private readonly ServiceProvider _services;

    public EtcdConnection(EtcdMetadataOptions options, ILogger logger)
    {
        Options = options;
        Logger = logger;
        var endpoints = options.Connect.Endpoints;
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => endpoints.Select(e => new BalancerAddress(e.Host, e.Port)).ToArray()));
        _services = services.BuildServiceProvider();
        _channel = GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceProvider = _services,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(5),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                ConnectTimeout = options.RequestTimeout,
            },
        });
        Kv = new KV.KVClient(_channel);
        Watch = new Watch.WatchClient(_channel);
        Lease = new Lease.LeaseClient(_channel);
        Election = new Election.ElectionClient(_channel);
    }

    public EtcdMetadataOptions Options { get; }

    public EtcdKeys Keys => new(Options.Connect.Prefix);

    public ILogger Logger { get; }

    public KV.KVClient Kv { get; }

    public Watch.WatchClient Watch { get; }

    public Lease.LeaseClient Lease { get; }

    public Election.ElectionClient Election { get; }

    /// <summary>Call options for a long-lived watch: no deadline, but cancelled when its member has no raft leader.</summary>
    public static CallOptions WatchCallOptions(CancellationToken cancellationToken) => new(headers: RequireLeader, cancellationToken: cancellationToken);

    public DateTime Deadline() => DateTime.UtcNow + Options.RequestTimeout;

    /// <summary>
    /// Runs <paramref name="call"/> (given a deadline and the token) until it succeeds, retrying transient failures.
    /// </summary>
    /// <exception cref="TimeoutException">no attempt succeeded within the operation timeout.</exception>
    /// <exception cref="RpcException">a failure that retrying cannot fix (e.g. a rejected request).</exception>
    public async Task<T> CallAsync<T>(string what, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken, TimeSpan? operationTimeout = null)
    {
        var giveUp = DateTime.UtcNow + (operationTimeout ?? Options.OperationTimeout);
        var backoff = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await call(new CallOptions(deadline: Deadline(), cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (IsTransient(e, cancellationToken))
            {
                if (DateTime.UtcNow + backoff >= giveUp)
                {
                    throw new TimeoutException($"etcd {what} did not succeed within {(operationTimeout ?? Options.OperationTimeout).TotalSeconds:0.#} s ({attempt} attempts); last error: {e.Status.StatusCode} {e.Status.Detail}", e);
                }

                Logger.LogDebug("etcd {What} attempt {Attempt} failed ({Status}: {Detail}); retrying", what, attempt, e.Status.StatusCode, e.Status.Detail);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
            }
        }
    }

    /// <summary>A failure that another attempt (possibly on another member) may not have.</summary>
    public static bool IsTransient(RpcException e, CancellationToken cancellationToken) => e.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Aborted or StatusCode.ResourceExhausted => true,
        StatusCode.Cancelled => !cancellationToken.IsCancellationRequested,
        // etcd answers Unknown for its own timeouts too ("context deadline exceeded": a proposal that did not commit in
        // time while the raft leader changed). Every call we make is safe to repeat: appends and registrations compare
        // first, so a repeat of one that did commit finds its own value.
        StatusCode.Unknown => (e.Status.Detail.Contains("leader", StringComparison.OrdinalIgnoreCase)
                || e.Status.Detail.Contains("deadline exceeded", StringComparison.OrdinalIgnoreCase))
            && !e.Status.Detail.Contains("election", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    public void Dispose()
    {
        _channel.Dispose();
        _services.Dispose();
    }
}
