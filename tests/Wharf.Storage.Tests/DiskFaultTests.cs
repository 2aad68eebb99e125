using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.TestKit;

namespace Wharf.Storage.Tests;

/// <summary>
/// Faults injected below the storage layer through <see cref="SimulatedDisk"/>: a failed fsync (EIO) takes the log
/// offline for good, a full disk (ENOSPC) fails one append and nothing else. Both always run (no mount needed).
/// </summary>
public sealed class DiskFaultTests : IDisposable
{
    private static readonly TopicPartition Partition = new("faults", 0);
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CountingLoggerFactory _logs = new();
    private readonly Random _random = new(4113);

    public void Dispose() => _temp.Dispose();

    private LogManager Open(IDisk disk) => LogManager.Open(new LogManagerOptions
    {
        DataDirectory = _temp.Path,
        DefaultConfig = new LogConfig { FlushMode = LogFlushMode.Ack, FileDeleteDelayMs = 0 },
        Time = _time,
        LoggerFactory = _logs,
        Disk = disk,
        EnableBackgroundTasks = false,
    });

    private byte[] FourRecords() => Batches.Values(4, 100, 1, _random);

    [Fact]
    public async Task FailedFsync_TakesTheLogOffline_AndNoLaterFsyncIsTrustedAgain()
    {
        var disk = new SimulatedDisk(_temp.Path);
        using (var manager = Open(disk))
        {
            var log = manager.GetOrCreateLog(Partition);
            await log.AppendAsLeader(FourRecords(), 0).Durable;
            Assert.Equal(4, log.RecoveryPoint);

            disk.FailFsyncs = path => path.EndsWith(LogFileNames.LogSuffix, StringComparison.Ordinal);
            var failed = log.AppendAsLeader(FourRecords(), 0);
            var error = await Assert.ThrowsAsync<LogStorageException>(() => failed.Durable);
            Assert.Equal(ErrorCode.KafkaStorageError, error.ErrorCode);
            Assert.True(log.IsOffline);

            // The device answers again, but the pages of the failed fsync may be gone: nothing is retried or appended.
            disk.FailFsyncs = null;
            Assert.Equal(ErrorCode.KafkaStorageError, Assert.Throws<LogStorageException>(() => log.AppendAsLeader(FourRecords(), 0)).ErrorCode);
            Assert.Throws<LogStorageException>(log.Flush);
            manager.FlushAll();
            Assert.Equal(4, log.RecoveryPoint);

            // Reads below the recovery point are still served; at or above it they fail clearly.
            var read = log.Read(0, 1 << 20);
            Assert.Equal(4, read.Slice.NextOffset);
            Assert.Equal(ErrorCode.KafkaStorageError, Assert.Throws<LogStorageException>(() => log.Read(4, 1 << 20)).ErrorCode);
            Assert.Equal(1, _logs.Count(LogLevel.Critical));
        }

        Assert.False(File.Exists(Path.Combine(_temp.Path, LogFileNames.CleanShutdownMarker)), "an offline log must not be marked clean");

        using var reopened = Open(LocalDisk.Instance);
        Assert.False(reopened.HadCleanShutdown);
        var recovered = reopened.GetLog(Partition)!;
        Assert.False(recovered.IsOffline);
        Assert.True(recovered.LogEndOffset >= 4);
        Assert.Equal(4, LogHarness.ReadAll(recovered).Take(1).Sum(b => b.Header.RecordCount));
        var next = recovered.AppendAsLeader(FourRecords(), 0);
        await next.Durable;
        Assert.Equal(recovered.LogEndOffset, next.LastOffset + 1);
    }

    [Fact]
    public async Task FailedDirectoryFsync_AfterARoll_TakesTheLogOffline()
    {
        var disk = new SimulatedDisk(_temp.Path);
        using var manager = Open(disk);
        var log = manager.GetOrCreateLog(Partition);
        await log.AppendAsLeader(FourRecords(), 0).Durable;
        log.Roll();

        disk.FailFsyncs = path => path == log.Directory;
        var failed = log.AppendAsLeader(FourRecords(), 0);
        await Assert.ThrowsAsync<LogStorageException>(() => failed.Durable);
        Assert.True(log.IsOffline);
        Assert.Equal(4, log.RecoveryPoint);
    }

    [Fact]
    public async Task DiskFull_InjectedEnospc_FailsThatAppendOnly_AndTheLogCarriesOnWhenSpaceIsBack()
    {
        var disk = new SimulatedDisk(_temp.Path);
        using (var manager = Open(disk))
        {
            var log = manager.GetOrCreateLog(Partition);
            await log.AppendAsLeader(FourRecords(), 0).Durable;

            disk.FailWrites = path => path.EndsWith(LogFileNames.LogSuffix, StringComparison.Ordinal);
            var error = Assert.Throws<LogStorageException>(() => log.AppendAsLeader(FourRecords(), 0));
            Assert.Equal(ErrorCode.KafkaStorageError, error.ErrorCode);
            Assert.Contains("No space left on device", error.Message);
            Assert.Equal(4, log.LogEndOffset);
            Assert.Single(LogHarness.ReadAll(log));
            Assert.False(log.IsOffline, "a failed write was refused before anything was published; the log stays online");

            disk.FailWrites = null;
            var next = log.AppendAsLeader(FourRecords(), 0);
            await next.Durable;
            Assert.Equal(4, next.FirstOffset);
            Assert.Equal(2, LogHarness.ReadAll(log).Count);
        }

        using var reopened = Open(LocalDisk.Instance);
        Assert.True(reopened.HadCleanShutdown);
        Assert.Equal(8, reopened.GetLog(Partition)!.LogEndOffset);
    }
}
