using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;

namespace Wharf.Storage;

/// <summary>Settings for a <see cref="LogManager"/>.</summary>
public sealed record LogManagerOptions
{
    /// <summary>The data directory (<c>log.dirs</c>, one directory).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Broker-level defaults for every topic (<c>log.*</c> keys).</summary>
    public LogConfig DefaultConfig { get; init; } = LogConfig.Default;

    /// <summary>Per-topic config when the manager opens existing partitions at start; null → <see cref="DefaultConfig"/>.</summary>
    public Func<string, LogConfig?>? TopicConfig { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Called after every fsync with the path (tests count group commits).</summary>
    public Action<string>? FsyncObserver { get; init; }

    /// <summary>Where fsync latencies and group-commit rounds are reported (the broker's metrics); null: nowhere.</summary>
    public IStorageMetrics? Metrics { get; init; }

    /// <summary>Where log data is written and fsync'd: the machine's file system, or a test's simulated disk.</summary>
    public IDisk Disk { get; init; } = LocalDisk.Instance;

    /// <summary>Partitions opened in parallel at start (<c>num.recovery.threads.per.data.dir</c>).</summary>
    public int RecoveryThreads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary><c>log.retention.check.interval.ms</c>, 5 minutes.</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often recovery points and log start offsets are checkpointed (<c>log.flush.offset.checkpoint.interval.ms</c>).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Period of the background fsync for <see cref="LogFlushMode.Interval"/> logs; null → <see cref="LogConfig.FlushIntervalMs"/> of the defaults.</summary>
    public TimeSpan? FlushInterval { get; init; }

    /// <summary>Run compaction for compacted topics (<c>log.cleaner.enable</c>); false leaves them growing, as in Kafka.</summary>
    public bool CleanerEnable { get; init; } = true;

    /// <summary>Pause between cleaner passes (<c>log.cleaner.backoff.ms</c>, 15 s).</summary>
    public TimeSpan CleanerBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary><c>log.cleaner.io.max.bytes.per.second</c>; unlimited by default as in Kafka.</summary>
    public double CleanerMaxBytesPerSecond { get; init; } = double.MaxValue;

    /// <summary>Idempotent producers with no append for this long are forgotten (<c>producer.id.expiration.ms</c>, 1 day).</summary>
    public TimeSpan ProducerIdExpiration { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How often expired producers are removed (<c>producer.id.expiration.check.interval.ms</c>, 10 min).</summary>
    public TimeSpan ProducerIdExpirationCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// For the retention pass: the offset below which every consumer a partition's topic waits for
    /// (<c>retention.consumed.groups</c>) has consumed, or null when not known or not asked for — then that rule deletes
    /// nothing (see <see cref="Log.DeleteOldSegments"/>). Called on the maintenance thread once per partition per pass,
    /// so it must answer from memory and never block (the server answers from a cache it refreshes in the background).
    /// </summary>
    public Func<TopicPartition, long?>? ConsumedOffset { get; init; }

    /// <summary>Run retention, checkpoints, interval flushes and the cleaner on timers; false for tests that drive them.</summary>
    public bool EnableBackgroundTasks { get; init; } = true;
}

/// <summary>
/// Owns every partition log of one data directory:
/// <code>
/// &lt;data dir&gt;/
///   .clean-shutdown                     written last on a clean stop; absent at start → recover
///   recovery-point-offset-checkpoint    topic partition offset: below it each log is fsync'd and verified
///   log-start-offset-checkpoint         topic partition offset
///   &lt;topic&gt;-&lt;partition&gt;/            one <see cref="Log"/> each
///   &lt;topic&gt;-&lt;partition&gt;.&lt;id&gt;-delete/  a deleted partition not yet removed (removed at start)
/// </code>
/// At start it reads the checkpoints and the marker, removes the marker (so a crash from then on is detected),
/// and opens all partitions in parallel (<see cref="LogManagerOptions.RecoveryThreads"/>), recovering them if
/// the stop was not clean. It owns the group-commit <see cref="LogFlusher"/>, and timers for retention
/// (<c>log.retention.check.interval.ms</c>), checkpoints, interval-mode flushes, the <see cref="LogCleaner"/> and
/// idempotent-producer expiry (<c>producer.id.expiration.ms</c>);
/// all time comes from <see cref="LogManagerOptions.Time"/>. <see cref="Dispose"/> is the clean stop: flush
/// everything, write checkpoints, then the marker — only if all of that succeeded.
/// Thread-safety: all public members are safe from any thread. Logs live in a concurrent map; create and delete
/// of one partition are serialised by a manager lock; background passes never overlap themselves.
/// </summary>
public sealed class LogManager : IDisposable
{
    private readonly ConcurrentDictionary<TopicPartition, Log> _logs = new();
    private readonly Lock _createLock = new();
    private readonly Lock _checkpointLock = new();
    private readonly LogManagerOptions _options;
    private readonly LogEnvironment _environment;
    private readonly ILogger _logger;
    private readonly LogCleaner _cleaner;
    private readonly List<ITimer> _timers = [];
    private readonly Dictionary<string, LogConfig> _topicConfigs = [];
    private BackgroundJobThread? _flushThread;
    private BackgroundJobThread? _maintenanceThread;
    private bool _disposed;

    private LogManager(LogManagerOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("Wharf.Storage");
        _environment = new LogEnvironment(options.Time, _logger, options.FsyncObserver, options.Disk, options.Metrics);
        _cleaner = new LogCleaner(_environment, options.CleanerMaxBytesPerSecond);
    }

    public string DataDirectory => _options.DataDirectory;

    /// <summary>Whether the previous stop left the clean-shutdown marker (no recovery was needed).</summary>
    public bool HadCleanShutdown { get; private set; }

    public LogEnvironment Environment => _environment;

    public LogFlusher Flusher => _environment.Flusher;

    public IReadOnlyCollection<TopicPartition> Partitions => [.. _logs.Keys];

    /// <summary>Opens the data directory and every partition in it; see the class remarks.</summary>
    public static LogManager Open(LogManagerOptions options)
    {
        var manager = new LogManager(options);
        manager.Load();
        if (options.EnableBackgroundTasks)
        {
            manager.StartTimers();
        }

        return manager;
    }

    private void Load()
    {
        var dataDirectory = _options.DataDirectory;
        Directory.CreateDirectory(dataDirectory);
        var marker = Path.Combine(dataDirectory, LogFileNames.CleanShutdownMarker);
        HadCleanShutdown = File.Exists(marker);
        var recoveryPoints = ReadCheckpoint(LogFileNames.RecoveryPointCheckpoint);
        var startOffsets = ReadCheckpoint(LogFileNames.LogStartOffsetCheckpoint);
        // A data directory that never held a log has nothing to recover: no warning on a first start.
        var everUsed = File.Exists(Path.Combine(dataDirectory, LogFileNames.RecoveryPointCheckpoint))
            || Directory.EnumerateDirectories(dataDirectory).Any(d => LogFileNames.TryParsePartitionDirectory(Path.GetFileName(d), out _, out _));
        if (!HadCleanShutdown && everUsed)
        {
            _logger.LogWarning("No {Marker} in {Directory}: the last stop was not clean; recovering logs from their recovery points", LogFileNames.CleanShutdownMarker, dataDirectory);
        }

        var directories = new List<(string Path, TopicPartition Partition)>();
        foreach (var path in Directory.EnumerateDirectories(dataDirectory))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(LogFileNames.DeleteDirSuffix, StringComparison.Ordinal))
            {
                _logger.LogInformation("Removing partition directory {Directory} left by an unfinished delete", name);
                Directory.Delete(path, recursive: true);
            }
            else if (LogFileNames.TryParsePartitionDirectory(name, out var topic, out var partition))
            {
                directories.Add((path, new TopicPartition(topic, partition)));
            }
        }

        var failures = new ConcurrentBag<Exception>();
        Parallel.ForEach(directories, new ParallelOptions { MaxDegreeOfParallelism = _options.RecoveryThreads }, entry =>
        {
            try
            {
                var hints = new LogLoadOptions(
                    HadCleanShutdown,
                    recoveryPoints.GetValueOrDefault(entry.Partition, 0),
                    startOffsets.GetValueOrDefault(entry.Partition, 0));
                var log = Log.Open(entry.Path, entry.Partition, ConfigFor(entry.Partition.Topic), _environment, hints);
                _logs[entry.Partition] = log;
            }
            catch (Exception e)
            {
                failures.Add(new LogStorageException($"Could not open {entry.Partition} in {entry.Path}: {e.Message}", e));
            }
        });
        if (!failures.IsEmpty)
        {
            foreach (var log in _logs.Values)
            {
                log.Dispose();
            }

            throw new AggregateException("Some partitions could not be opened.", failures);
        }

        // Loaded: from now on a crash must be detected. Checkpoint what recovery established first.
        CheckpointAll();
        if (HadCleanShutdown)
        {
            File.Delete(marker);
            _environment.FsyncDirectory(dataDirectory);
        }

        _logger.LogInformation("Opened {Count} partition log(s) in {Directory}", _logs.Count, dataDirectory);
    }

    private Dictionary<TopicPartition, long> ReadCheckpoint(string name)
    {
        var path = Path.Combine(_options.DataDirectory, name);
        if (CheckpointFile.TryReadPartitionOffsets(path, out var entries))
        {
            return entries;
        }

        _logger.LogWarning("{File} is corrupt; ignoring it (every log will be verified from its start)", name);
        return [];
    }

    /// <remarks>
    /// Timer callbacks only queue jobs: interval fsyncs and writeback run on the "wharf-log-flush" thread, retention,
    /// checkpoints, compaction and producer expiry on "wharf-log-maintenance" (see <see cref="BackgroundJobThread"/>),
    /// so a long compaction never delays an interval fsync and neither ever blocks a thread-pool thread.
    /// </remarks>
    private void StartTimers()
    {
        _flushThread = new BackgroundJobThread("wharf-log-flush", _logger);
        _maintenanceThread = new BackgroundJobThread("wharf-log-maintenance", _logger);
        var flushInterval = _options.FlushInterval ?? TimeSpan.FromMilliseconds(_options.DefaultConfig.FlushIntervalMs);
        Every(_flushThread, flushInterval, new BackgroundJob("interval flush", FlushIntervalLogs));
        Every(_flushThread, flushInterval / WritebacksPerFlushInterval, new BackgroundJob("interval writeback", StartIntervalWriteback));
        Every(_maintenanceThread, _options.RetentionCheckInterval, new BackgroundJob("retention", () => RunRetention()));
        Every(_maintenanceThread, _options.CheckpointInterval, new BackgroundJob("checkpoint", CheckpointAll));
        Every(_maintenanceThread, _options.CleanerBackoff, new BackgroundJob("compaction", () => RunCleaner()));
        Every(_maintenanceThread, _options.ProducerIdExpirationCheckInterval, new BackgroundJob("producer expiry", () => RemoveExpiredProducers()));
    }

    /// <summary>Waits until the background jobs its timers have queued so far have run (for callers driving a fake clock).</summary>
    internal void WaitForBackgroundJobs()
    {
        _flushThread?.WaitForQueuedJobs();
        _maintenanceThread?.WaitForQueuedJobs();
    }

    private void Every(BackgroundJobThread thread, TimeSpan period, BackgroundJob job) =>
        _timers.Add(_options.Time.CreateTimer(_ => thread.Schedule(job), null, period, period));

    /// <summary>The config a topic's logs get: an override set by <see cref="UpdateTopicConfig"/>, the options' resolver, or the defaults.</summary>
    public LogConfig ConfigFor(string topic)
    {
        lock (_topicConfigs)
        {
            if (_topicConfigs.TryGetValue(topic, out var config))
            {
                return config;
            }
        }

        return _options.TopicConfig?.Invoke(topic) ?? _options.DefaultConfig;
    }

    /// <summary>Applies a topic config change to the topic's open logs and to logs created later.</summary>
    public void UpdateTopicConfig(string topic, LogConfig config)
    {
        lock (_topicConfigs)
        {
            _topicConfigs[topic] = config;
        }

        foreach (var (partition, log) in _logs)
        {
            if (partition.Topic == topic)
            {
                log.Config = config;
            }
        }
    }

    public Log? GetLog(TopicPartition partition) => _logs.GetValueOrDefault(partition);

    /// <summary>Returns the partition's log, creating its directory and an empty log when absent.</summary>
    public Log GetOrCreateLog(TopicPartition partition, LogConfig? config = null)
    {
        if (_logs.TryGetValue(partition, out var existing))
        {
            return existing;
        }

        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_logs.TryGetValue(partition, out existing))
            {
                return existing;
            }

            if (config is not null)
            {
                lock (_topicConfigs)
                {
                    _topicConfigs[partition.Topic] = config;
                }
            }

            var directory = Path.Combine(_options.DataDirectory, partition.ToString());
            var log = Log.Open(directory, partition, config ?? ConfigFor(partition.Topic), _environment);
            _environment.FsyncDirectory(_options.DataDirectory);
            _logs[partition] = log;
            return log;
        }
    }

    /// <summary>
    /// Deletes a partition's log: removed from service, its directory renamed to
    /// <c>topic-partition.&lt;id&gt;-delete</c> (fsync'd), then removed recursively. A crash in between leaves the
    /// renamed directory, which the next start deletes.
    /// </summary>
    public bool DeleteLog(TopicPartition partition)
    {
        lock (_createLock)
        {
            if (!_logs.TryRemove(partition, out var log))
            {
                return false;
            }

            log.CloseWithoutFlush();
            var renamed = Path.Combine(_options.DataDirectory, $"{partition}.{Guid.NewGuid():N}{LogFileNames.DeleteDirSuffix}");
            Directory.Move(log.Directory, renamed);
            _environment.FsyncDirectory(_options.DataDirectory);
            Directory.Delete(renamed, recursive: true);
            _logger.LogInformation("Deleted the log of {Partition}", partition);
            CheckpointAll();
            return true;
        }
    }

    /// <summary>
    /// One retention pass over every log (see <see cref="Log.DeleteOldSegments"/>), each bounded by
    /// <paramref name="highWatermark"/> and given its consumed offset from <see cref="LogManagerOptions.ConsumedOffset"/>.
    /// Returns segments deleted.
    /// </summary>
    public int RunRetention(Func<TopicPartition, long>? highWatermark = null)
    {
        var deleted = 0;
        var consumedOffset = _options.ConsumedOffset;
        foreach (var (partition, log) in _logs)
        {
            try
            {
                deleted += log.DeleteOldSegments(highWatermark?.Invoke(partition) ?? long.MaxValue, consumedOffset?.Invoke(partition));
            }
            catch (Exception e) when (e is IOException or LogException)
            {
                _logger.LogError(e, "{Partition}: retention failed", partition);
            }
        }

        if (deleted > 0)
        {
            CheckpointAll();
        }

        return deleted;
    }

    /// <summary>Forgets idempotent producers idle for <see cref="LogManagerOptions.ProducerIdExpiration"/> in every log. Returns how many.</summary>
    public int RemoveExpiredProducers()
    {
        var expirationMs = (long)_options.ProducerIdExpiration.TotalMilliseconds;
        var removed = 0;
        foreach (var log in _logs.Values)
        {
            removed += log.RemoveExpiredProducers(expirationMs);
        }

        return removed;
    }

    /// <summary>One compaction pass over every compacted log; none when <see cref="LogManagerOptions.CleanerEnable"/> is false.</summary>
    public int RunCleaner()
    {
        var cleaned = 0;
        if (!_options.CleanerEnable)
        {
            return cleaned;
        }

        foreach (var (partition, log) in _logs)
        {
            if (!log.Config.IsCompacted || log.IsOffline)
            {
                continue;
            }

            try
            {
                var stats = _cleaner.Clean(log);
                if (stats.SegmentsCleaned > 0)
                {
                    stats.Log(_logger, partition);
                }

                cleaned += stats.SegmentsCleaned;
            }
            catch (Exception e) when (e is IOException or LogException or InvalidOperationException or ObjectDisposedException)
            {
                _logger.LogError(e, "{Partition}: compaction failed; will retry", partition);
            }
        }

        return cleaned;
    }

    /// <summary>fsyncs every log (used by the interval timer for interval-mode logs, and at shutdown).</summary>
    public void FlushAll(bool intervalModeOnly = false)
    {
        foreach (var (partition, log) in _logs)
        {
            if (log.IsOffline || (intervalModeOnly && log.Config.FlushMode != LogFlushMode.Interval))
            {
                continue; // an offline log said why once; it is not fsync'd again
            }

            try
            {
                log.Flush();
            }
            catch (LogStorageException e)
            {
                _logger.LogError(e, "{Partition}: background flush failed", partition);
            }
        }
    }

    private void FlushIntervalLogs() => FlushAll(intervalModeOnly: true);

    /// <summary>
    /// Interval mode: between two fsyncs, pushes each log's new pages to the device in slices (no wait), so the fsync
    /// at the interval does not write a whole interval's data in one burst while producers append (that burst showed
    /// up as 15–25 ms stalls in the p99.9 of end-to-end latency; with slices it stays near the p99).
    /// </summary>
    private void StartIntervalWriteback()
    {
        foreach (var (_, log) in _logs)
        {
            if (log.Config.FlushMode == LogFlushMode.Interval && !log.IsOffline)
            {
                log.StartWriteback(MinimumWritebackBytes);
            }
        }
    }

    private const int WritebacksPerFlushInterval = 10;

    private const long MinimumWritebackBytes = 256 * 1024;

    /// <summary>Writes <c>recovery-point-offset-checkpoint</c> and <c>log-start-offset-checkpoint</c> atomically.</summary>
    public void CheckpointAll()
    {
        lock (_checkpointLock)
        {
            var logs = _logs.ToArray();
            CheckpointFile.WritePartitionOffsets(_environment, Path.Combine(_options.DataDirectory, LogFileNames.RecoveryPointCheckpoint),
                logs.Select(e => KeyValuePair.Create(e.Key, e.Value.RecoveryPoint)));
            CheckpointFile.WritePartitionOffsets(_environment, Path.Combine(_options.DataDirectory, LogFileNames.LogStartOffsetCheckpoint),
                logs.Select(e => KeyValuePair.Create(e.Key, e.Value.LogStartOffset)));
        }
    }

    /// <summary>
    /// Clean stop: stops the timers and the flusher, closes every log (fsync, index files), writes the checkpoints
    /// and finally <c>.clean-shutdown</c> — only when every step succeeded, so a failed stop (e.g. disk full) is
    /// recovered at the next start.
    /// </summary>
    public void Dispose()
    {
        lock (_createLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        foreach (var timer in _timers)
        {
            timer.Dispose();
        }

        _flushThread?.Dispose();
        _maintenanceThread?.Dispose();

        _environment.Flusher.Dispose();
        var clean = true;
        foreach (var log in _logs.Values)
        {
            clean &= log.Close();
        }

        try
        {
            CheckpointAll();
            if (clean)
            {
                var marker = Path.Combine(_options.DataDirectory, LogFileNames.CleanShutdownMarker);
                _environment.WriteFileAtomically(marker, []);
            }
        }
        catch (IOException e)
        {
            _logger.LogError(e, "Could not complete a clean shutdown of {Directory}; the next start will recover", _options.DataDirectory);
        }
    }
}
