using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Time.Testing;
using Wharf.Common;

namespace Wharf.Storage.Tests;

public sealed class LogManagerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private int _fsyncs;

    public void Dispose() => _temp.Dispose();

    private LogManager Open(LogConfig? config = null, bool background = false, string? directory = null, bool slowTimers = false) => LogManager.Open(new LogManagerOptions
    {
        FlushInterval = slowTimers ? TimeSpan.FromDays(1) : null,
        CheckpointInterval = slowTimers ? TimeSpan.FromDays(1) : TimeSpan.FromSeconds(60),
        CleanerBackoff = slowTimers ? TimeSpan.FromDays(1) : TimeSpan.FromSeconds(15),
        DataDirectory = directory ?? _temp.Path,
        DefaultConfig = (config ?? LogConfig.Default) with { FileDeleteDelayMs = 0 },
        Time = _time,
        FsyncObserver = _ => Interlocked.Increment(ref _fsyncs),
        EnableBackgroundTasks = background,
    });

    [Fact]
    public async Task GroupCommit_ConcurrentAppendsAcrossPartitions_CompleteWithFewerFsyncsThanAppends()
    {
        using var manager = Open();
        var logs = Enumerable.Range(0, 4).Select(p => manager.GetOrCreateLog(new TopicPartition("gc", p))).ToArray();
        var random = new Random(400);
        var batches = Enumerable.Range(0, 400).Select(_ => Batches.Values(2, 100, 1, random)).ToArray();
        var before = Volatile.Read(ref _fsyncs);

        var appends = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = writer; i < batches.Length; i += 8)
            {
                await logs[i % logs.Length].AppendAsLeaderAsync(batches[i], 0);
            }
        }));
        await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(60));

        var fsyncs = Volatile.Read(ref _fsyncs) - before;
        Assert.All(logs, log => Assert.Equal(log.LogEndOffset, log.RecoveryPoint));
        Assert.Equal(800, logs.Sum(l => l.LogEndOffset));
        Assert.True(fsyncs < batches.Length, $"{fsyncs} fsyncs for {batches.Length} appends");
    }

    [Fact]
    public async Task AckMode_AppendCompletesOnlyAfterItsBytesAreFsynced()
    {
        using var manager = Open();
        var log = manager.GetOrCreateLog(new TopicPartition("ack", 0));

        var info = await log.AppendAsLeaderAsync(Batches.Values(1, 10, 1, new Random(401)), 0);

        Assert.True(log.RecoveryPoint > info.LastOffset);
    }

    [Fact]
    public void IntervalMode_FlushesInTheBackgroundOnTheClock()
    {
        using var manager = Open(new LogConfig { FlushMode = LogFlushMode.Interval, FlushIntervalMs = 1000 }, background: true);
        var log = manager.GetOrCreateLog(new TopicPartition("interval", 0));
        var info = log.AppendAsLeader(Batches.Values(1, 10, 1, new Random(402)), 0);

        Assert.True(info.Durable.IsCompleted);
        Assert.Equal(0, log.RecoveryPoint);
        _time.Advance(TimeSpan.FromSeconds(1));
        manager.WaitForBackgroundJobs();
        Assert.Equal(1, log.RecoveryPoint);
    }

    [Fact]
    public void IntervalMode_WritebackBetweenFlushes_NeitherFsyncsNorMovesTheRecoveryPoint()
    {
        using var manager = Open(new LogConfig { FlushMode = LogFlushMode.Interval, FlushIntervalMs = 1000 }, background: true);
        var log = manager.GetOrCreateLog(new TopicPartition("writeback", 0));
        var random = new Random(404);
        for (var i = 0; i < 8; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 100_000, 1, random), 0);
        }

        var fsyncsBefore = Volatile.Read(ref _fsyncs);
        _time.Advance(TimeSpan.FromMilliseconds(900));
        manager.WaitForBackgroundJobs();

        Assert.Equal(fsyncsBefore, Volatile.Read(ref _fsyncs));
        Assert.Equal(0, log.RecoveryPoint);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        manager.WaitForBackgroundJobs();
        Assert.Equal(8, log.RecoveryPoint);
        Assert.Equal(8, Batches.Parse(log.Read(0, 1 << 24).Slice.ToArray()).Count);
    }

    [Fact]
    public void Reopen_AfterCleanStop_SkipsRecoveryAndKeepsOffsetsAndCheckpoints()
    {
        var partition = new TopicPartition("orders-eu", 3);
        using (var manager = Open(new LogConfig { FlushMode = LogFlushMode.Interval }))
        {
            Assert.False(manager.HadCleanShutdown);
            var log = manager.GetOrCreateLog(partition);
            log.AppendAsLeader(Batches.Values(5, 10, 1, new Random(403)), 0);
            log.IncrementLogStartOffset(2);
        }

        Assert.True(File.Exists(_temp.Combine(LogFileNames.CleanShutdownMarker)));
        Assert.True(CheckpointFile.TryReadPartitionOffsets(_temp.Combine(LogFileNames.RecoveryPointCheckpoint), out var points));
        Assert.Equal(5, points[partition]);

        using var reopened = Open();
        Assert.True(reopened.HadCleanShutdown);
        Assert.False(File.Exists(_temp.Combine(LogFileNames.CleanShutdownMarker)), "the marker goes once loaded");
        var reloaded = reopened.GetLog(partition)!;
        Assert.Equal((2, 5), (reloaded.LogStartOffset, reloaded.LogEndOffset));
    }

    [Fact]
    public async Task Reopen_WithMissingCheckpointFiles_RecoversEverythingFromTheStart()
    {
        var partition = new TopicPartition("t", 0);
        using (var manager = Open())
        {
            await manager.GetOrCreateLog(partition).AppendAsLeaderAsync(Batches.Values(5, 10, 1, new Random(404)), 0);
        }

        File.Delete(_temp.Combine(LogFileNames.CleanShutdownMarker));
        File.Delete(_temp.Combine(LogFileNames.RecoveryPointCheckpoint));
        File.Delete(_temp.Combine(LogFileNames.LogStartOffsetCheckpoint));
        File.Delete(Path.Combine(_temp.Path, partition.ToString(), LogFileNames.LeaderEpochCheckpoint));

        using var reopened = Open();

        var log = reopened.GetLog(partition)!;
        Assert.Equal((0, 5), (log.LogStartOffset, log.LogEndOffset));
        Assert.Single(LogHarness.ReadAll(log));
        Assert.Equal([new EpochEntry(0, 0)], log.LeaderEpochCache.Entries);
    }

    [Fact]
    public async Task Reopen_WithCorruptCheckpointFiles_IgnoresThemAndRecovers()
    {
        var partition = new TopicPartition("t", 1);
        using (var manager = Open())
        {
            await manager.GetOrCreateLog(partition).AppendAsLeaderAsync(Batches.Values(3, 10, 1, new Random(405)), 0);
        }

        File.Delete(_temp.Combine(LogFileNames.CleanShutdownMarker));
        File.WriteAllText(_temp.Combine(LogFileNames.RecoveryPointCheckpoint), "0\n7\nt 1 zz\n");

        using var reopened = Open();

        Assert.Equal(3, reopened.GetLog(partition)!.LogEndOffset);
    }

    [Fact]
    public void Retention_RunsOnTheCheckIntervalWhenTheFakeClockJumps15Days()
    {
        // Other timers slowed down so that 15 virtual days do not fire a million flushes.
        using var manager = Open(new LogConfig { FlushMode = LogFlushMode.Interval, SegmentBytes = 1000 }, background: true, slowTimers: true);
        var log = manager.GetOrCreateLog(new TopicPartition("old", 0));
        var random = new Random(406);
        for (var i = 0; i < 6; i++)
        {
            log.AppendAsLeader(Batches.Values(1, 400, _time.GetUtcNow().ToUnixTimeMilliseconds(), random), 0);
        }

        _time.Advance(TimeSpan.FromDays(13));
        manager.WaitForBackgroundJobs();
        Assert.Equal(0, log.LogStartOffset);
        _time.Advance(TimeSpan.FromDays(2));
        manager.WaitForBackgroundJobs();

        Assert.Equal(6, log.LogStartOffset);
        Assert.True(CheckpointFile.TryReadPartitionOffsets(_temp.Combine(LogFileNames.LogStartOffsetCheckpoint), out var starts));
        Assert.Equal(6, starts[new TopicPartition("old", 0)]);
    }

    [Fact]
    public void DeleteLog_RemovesTheDirectoryAndALeftoverDeleteDirectoryIsRemovedAtStart()
    {
        var partition = new TopicPartition("gone", 0);
        using (var manager = Open())
        {
            manager.GetOrCreateLog(partition);
            Assert.True(manager.DeleteLog(partition));
            Assert.False(Directory.Exists(_temp.Combine("gone-0")));
            Assert.Null(manager.GetLog(partition));
        }

        Directory.CreateDirectory(_temp.Combine("crashed-0.abc" + LogFileNames.DeleteDirSuffix));
        using var reopened = Open();
        Assert.False(Directory.Exists(_temp.Combine("crashed-0.abc" + LogFileNames.DeleteDirSuffix)));
        Assert.Empty(reopened.Partitions);
    }

    [Fact]
    public void Compaction_RunsThroughTheManagerForCompactedTopics()
    {
        using var manager = Open(new LogConfig { FlushMode = LogFlushMode.Interval });
        var log = manager.GetOrCreateLog(new TopicPartition("__consumer_offsets", 0), new LogConfig { FlushMode = LogFlushMode.Interval, CleanupPolicy = CleanupPolicy.Compact });
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 5; i++)
        {
            log.AppendAsLeader(Batches.Keyed("group", $"v{i}", now), 0);
        }

        log.Roll();

        Assert.Equal(1, manager.RunCleaner());
        Assert.Single(LogHarness.ReadAll(log));
    }

    [RequiresTmpfsFact]
    public void DiskFull_AppendFailsClearlyTheLogStaysReadableAndRecoversWhenSpaceIsFreed()
    {
        var mount = _temp.Combine("tmpfs");
        Directory.CreateDirectory(mount);
        Assert.True(Run("mount", $"-t tmpfs -o size=2m tmpfs {mount}"), "mounting the tmpfs failed although the probe could");

        try
        {
            using (var manager = Open(new LogConfig { FlushMode = LogFlushMode.Interval }, directory: mount))
            {
                var log = manager.GetOrCreateLog(new TopicPartition("full", 0));
                var random = new Random(407);
                log.AppendAsLeader(Batches.Values(4, 1000, 1, random), 0);
                var filler = Path.Combine(mount, "filler");
                try
                {
                    File.WriteAllBytes(filler, new byte[4 * 1024 * 1024]);
                }
                catch (IOException)
                {
                    // The disk is now full.
                }

                var error = Assert.Throws<LogStorageException>(() => log.AppendAsLeader(Batches.Values(40, 1000, 1, random), 0));
                Assert.Equal(ErrorCode.KafkaStorageError, error.ErrorCode);
                Assert.Contains("append failed", error.Message);
                Assert.Equal(4, log.LogEndOffset);
                Assert.Single(LogHarness.ReadAll(log));

                File.Delete(filler);
                log.AppendAsLeader(Batches.Values(4, 1000, 1, random), 0);
                Assert.Equal(8, log.LogEndOffset);
                Assert.Equal(2, LogHarness.ReadAll(log).Count);
            }

            using var reopened = Open(directory: mount);
            Assert.True(reopened.HadCleanShutdown);
            Assert.Equal(8, reopened.GetLog(new TopicPartition("full", 0))!.LogEndOffset);
        }
        finally
        {
            Run("umount", mount);
        }
    }

    private static bool Run(string file, string arguments) => RequiresTmpfsFactAttribute.Run(file, arguments, out _);

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void RunCleaner_CompactsOnlyWhenLogCleanerEnableIsTrue(bool enabled, int expectedSegmentsCleaned)
    {
        using var manager = LogManager.Open(new LogManagerOptions
        {
            DataDirectory = _temp.Path,
            DefaultConfig = new LogConfig { CleanupPolicy = CleanupPolicy.Compact, FlushMode = LogFlushMode.Interval, FileDeleteDelayMs = 0 },
            Time = _time,
            EnableBackgroundTasks = false,
            CleanerEnable = enabled,
        });
        var log = manager.GetOrCreateLog(new TopicPartition("compacted", 0));
        for (var i = 0; i < 4; i++)
        {
            log.AppendAsLeader(Batches.Keyed("same", $"v{i}", _time.GetUtcNow().ToUnixTimeMilliseconds()), 0);
        }

        log.Roll();

        Assert.Equal(expectedSegmentsCleaned, manager.RunCleaner());
        Assert.Equal(enabled ? 1 : 4, LogHarness.ReadAll(log).SelectMany(b => Batches.Records(b.Bytes)).Count());
    }
}
