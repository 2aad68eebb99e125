using Microsoft.Extensions.Logging;
using Wharf.Metadata;
using Wharf.Replication;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Replication;

/// <summary>
/// Keeps one <see cref="ReplicaFetcher"/> per leader broker (times <c>num.replica.fetchers</c>) that this broker follows
/// partitions of (Kafka's <c>ReplicaFetcherManager</c>): it watches <see cref="ReplicaManager.FollowershipChanged"/>,
/// starts a loop for a new leader and stops the loops of a leader it no longer follows anything of. Fetchers pick their
/// partitions from the replica manager on every round, so a partition that changes leader moves at the next round.
/// Connections: one <see cref="BrokerConnectionPool"/> of its own (client id <c>wharf-broker-{id}-replica</c>), with the
/// answer timeout <c>replica.socket.timeout.ms</c> beyond the fetch's own wait.
/// Thread-safety: one task manages the loops; <see cref="DisposeAsync"/> stops everything.
/// </summary>
public sealed class ReplicaFetcherManager : IAsyncDisposable
{
    private readonly ReplicaManager _replicas;
    private readonly ReplicaFetcherOptions _options;
    private readonly int _localBrokerId;
    private readonly ILogger _logger;
    private readonly BrokerConnectionPool _connections;
    private readonly Dictionary<(int Leader, int Slot), ReplicaFetcher> _fetchers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ReplicaFetcherManager(ReplicaManager replicas, Func<MetadataImage> image, string listenerName, int localBrokerId, ReplicaFetcherOptions options, ILogger<ReplicaFetcherManager> logger)
    {
        _replicas = replicas;
        _options = options;
        _localBrokerId = localBrokerId;
        _logger = logger;
        _connections = new BrokerConnectionPool(image, listenerName, $"wharf-broker-{localBrokerId}-replica")
        {
            RequestTimeout = options.WaitMax + options.SocketTimeout,
        };
        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        List<ReplicaFetcher> fetchers;
        lock (_fetchers)
        {
            fetchers = [.. _fetchers.Values];
            _fetchers.Clear();
        }

        foreach (var fetcher in fetchers)
        {
            await fetcher.DisposeAsync().ConfigureAwait(false);
        }

        await _connections.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var changed = _replicas.FollowershipChanged;
            var wanted = _replicas.FollowedLeaders().Where(l => l != _localBrokerId)
                .SelectMany(l => Enumerable.Range(0, _options.FetchersPerLeader).Select(slot => (l, slot))).ToHashSet();
            List<ReplicaFetcher> stopped = [];
            lock (_fetchers)
            {
                foreach (var key in _fetchers.Keys.Where(k => !wanted.Contains(k)).ToList())
                {
                    stopped.Add(_fetchers[key]);
                    _fetchers.Remove(key);
                }

                foreach (var key in wanted.Where(k => !_fetchers.ContainsKey(k)))
                {
                    _logger.LogInformation("Starting to fetch from leader {Leader} (fetcher {Slot})", key.l, key.slot);
                    _fetchers[key] = new ReplicaFetcher(key.l, key.slot, _replicas, _connections, _options, _localBrokerId, _logger);
                }
            }

            foreach (var fetcher in stopped)
            {
                _logger.LogInformation("Stopped fetching from leader {Leader} (fetcher {Slot}): nothing to follow there", fetcher.LeaderId, fetcher.Slot);
                await fetcher.DisposeAsync().ConfigureAwait(false);
            }

            await changed.WaitAsync(token).ConfigureAwait(false);
        }
    }
}
