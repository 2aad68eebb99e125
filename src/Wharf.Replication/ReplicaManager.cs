using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>Retry pacing of <see cref="ReplicaManager"/> for partitions whose metadata could not be applied.</summary>
public sealed record ReplicaManagerOptions
{
    /// <summary>The wait before the first retry; it doubles with every failed attempt.</summary>
    public TimeSpan InitialRetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries.</summary>
    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>replica.lag.time.max.ms</c>: see <see cref="PartitionContext.ReplicaLagTimeMax"/>.</summary>
    public TimeSpan ReplicaLagTimeMax { get; init; } = PartitionContext.DefaultReplicaLagTimeMax;

    /// <summary>How leaders send ISR changes to the controller; null: the ISR changes only through the metadata.</summary>
    public IAlterPartitionSender? AlterPartition { get; init; }
}

/// <summary>
/// The partitions this broker hosts (Kafka's <c>ReplicaManager</c>), kept in step with the metadata image by
/// <see cref="ApplyDelta"/>: each partition is leader, follower or removed exactly as the image says for this node.
/// Handlers find partitions with <see cref="GetPartitionOrError"/>, which answers as Kafka does for a partition that is
/// not served here; coordinators follow leaderships with <see cref="WatchLeadership"/>.
/// <para>
/// Thread-safety: lookups are safe from any thread (a concurrent dictionary and a volatile image). Applying a delta,
/// retries and leadership notifications are serialised by <c>_applyLock</c>, so every watcher sees one partition's
/// changes in order and never two notifications at once. Lock order: <c>ReplicaManager._applyLock</c> before
/// <c>Partition._leadershipLock</c> before <c>Log._writeLock</c>.
/// </para>
/// Lifecycle: built over an open <see cref="LogManager"/>; <see cref="Dispose"/> stops retries (the logs are the
/// log manager's to close).
/// </summary>
public sealed partial class ReplicaManager : IDisposable
{
    private readonly ConcurrentDictionary<TopicPartition, Partition> _partitions = new();
    private readonly LogManager _logs;
    private readonly ILogger _logger;
    private readonly ReplicaManagerOptions _options;
    private readonly PartitionContext _context;
    private readonly ITimer? _isrShrinkTimer;
    private MetadataImage? _image;
    private TaskCompletionSource _followershipChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ReplicaManager(LogManager logs, TimeProvider time, ILogger<ReplicaManager>? logger = null, ReplicaManagerOptions? options = null)
    {
        _logs = logs;
        Time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _options = options ?? new ReplicaManagerOptions();
        _context = new PartitionContext(time, _options.AlterPartition, _options.ReplicaLagTimeMax, _logger);
        if (_options.AlterPartition is not null)
        {
            // Kafka checks for laggards every half lag interval.
            var period = _options.ReplicaLagTimeMax / 2;
            _isrShrinkTimer = time.CreateTimer(_ => ShrinkIsrs(), null, period, period);
        }
    }

    /// <summary>
    /// A task that completes at the next change of which partitions this broker follows, or of their leaders — what
    /// the replica fetchers wait on to pick up new partitions (<see cref="FollowedPartitions"/>).
    /// </summary>
    public Task FollowershipChanged => Volatile.Read(ref _followershipChanged).Task;

    /// <summary>The hosted partitions that follow <paramref name="leaderId"/> now.</summary>
    public List<Partition> FollowedPartitions(int leaderId) =>
        [.. _partitions.Values.Where(p => p.Leadership is { Role: PartitionRole.Follower } l && l.LeaderId == leaderId)];

    /// <summary>This broker's replication gauges and counters now (see <see cref="ReplicationStats"/>).</summary>
    public ReplicationStats ReplicationStats()
    {
        int leaders = 0, underReplicated = 0, underMinIsr = 0, offline = 0;
        long maxLag = 0;
        foreach (var partition in _partitions.Values)
        {
            if (partition.IsOffline)
            {
                offline++;
            }
            else if (partition.IsLeader)
            {
                leaders++;
                var leadership = partition.Leadership;
                underReplicated += partition.IsUnderReplicated ? 1 : 0;
                underMinIsr += leadership.Isr.Length < partition.Config.MinInsyncReplicas ? 1 : 0;
                maxLag = partition.FollowerStates.Select(f => f.LagOffsets).Append(maxLag).Max();
            }
        }

        if (Image is { } image)
        {
            offline += image.TopicsById.Values.Sum(t => t.Partitions.Values.Count(p => p.Leader < 0));
        }

        var counters = _context.Counters;
        return new ReplicationStats(leaders, underReplicated, underMinIsr, offline, maxLag, counters.IsrShrinks, counters.IsrExpands, counters.ParkedProduces, counters.ParkedFetches);
    }

    /// <summary>The leaders this broker follows partitions of now.</summary>
    public HashSet<int> FollowedLeaders() =>
        [.. _partitions.Values.Select(p => p.Leadership).Where(l => l.Role == PartitionRole.Follower && l.LeaderId >= 0).Select(l => l.LeaderId)];

    /// <summary>The partition logs; for composition and tests — handlers go through <see cref="Partition"/>.</summary>
    public LogManager Logs => _logs;

    public TimeProvider Time { get; }

    /// <summary>The directory holding the partition logs.</summary>
    public string DataDirectory => _logs.DataDirectory;

    /// <summary>The metadata image last applied (null before the first <see cref="ApplyDelta"/>).</summary>
    public MetadataImage? Image => Volatile.Read(ref _image);

    /// <summary>Every hosted partition, whatever its role.</summary>
    public IEnumerable<Partition> Partitions => _partitions.Values;

    /// <summary>A hosted partition in any role, or null.</summary>
    public Partition? GetPartition(TopicPartition topicPartition) => _partitions.GetValueOrDefault(topicPartition);

    /// <summary>
    /// A hosted partition (whose operations then check role and leader epoch), or the error Kafka's
    /// <c>getPartitionOrError</c> gives: KAFKA_STORAGE_ERROR when the image names this broker but the partition could
    /// not be opened (see <see cref="ApplyDelta"/>), NOT_LEADER_OR_FOLLOWER when the partition exists but is not hosted
    /// here, UNKNOWN_TOPIC_OR_PARTITION when the image does not know it.
    /// </summary>
    public (Partition? Partition, ErrorCode Error) GetPartitionOrError(TopicPartition topicPartition)
    {
        if (_partitions.TryGetValue(topicPartition, out var partition))
        {
            return (partition, ErrorCode.None);
        }

        if (Image is not { } image || !image.TryGetPartition(topicPartition, out _))
        {
            return (null, ErrorCode.UnknownTopicOrPartition);
        }

        return (null, _failures.ContainsKey(topicPartition) ? ErrorCode.KafkaStorageError : ErrorCode.NotLeaderOrFollower);
    }

    /// <summary>
    /// Signals that complete at the next high watermark advance or role change of each hosted partition in the list.
    /// Take them <b>before</b> reading, then wait on them with <see cref="WaitForAnyAsync"/>, so an append between the
    /// read and the wait is never missed.
    /// </summary>
    public List<Task> AppendSignals(IEnumerable<TopicPartition> partitions)
    {
        var signals = new List<Task>();
        foreach (var tp in partitions)
        {
            if (GetPartition(tp) is { } partition)
            {
                signals.Add(partition.WaitForAppendAsync());
            }
        }

        return signals;
    }

    /// <summary>
    /// Signals that complete at the next append to (or role change of) each hosted partition in the list: what a
    /// follower's fetch waits on. Take them before reading, as <see cref="AppendSignals"/>.
    /// </summary>
    public List<Task> LogEndSignals(IEnumerable<TopicPartition> partitions) =>
        [.. partitions.Select(GetPartition).OfType<Partition>().Select(p => p.WaitForLogEndAsync())];

    /// <summary>Long polling: waits until one of <paramref name="signals"/> completes or <paramref name="timeout"/> passes.</summary>
    /// <exception cref="OperationCanceledException">The request was cancelled (its connection closed).</exception>
    public async Task WaitForAnyAsync(List<Task> signals, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, Time, timer.Token);
        signals.Add(delay);
        _context.Counters.FetchParked(1);
        try
        {
            await Task.WhenAny(signals).ConfigureAwait(false);
        }
        finally
        {
            _context.Counters.FetchParked(-1);
        }

        await timer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose()
    {
        lock (_applyLock)
        {
            _disposed = true;
            _retryTimer?.Dispose();
            _retryTimer = null;
            _isrShrinkTimer?.Dispose();
        }

        SignalFollowershipChanged();
    }

    private void ShrinkIsrs()
    {
        foreach (var partition in _partitions.Values)
        {
            if (partition.IsLeader)
            {
                partition.MaybeShrinkIsr();
            }
        }
    }

    private void SignalFollowershipChanged() =>
        Interlocked.Exchange(ref _followershipChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
