using System.Diagnostics;
using Wharf.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Storage;

/// <summary>
/// The services every <see cref="Log"/> of one data directory shares: the clock, the logger, the group-commit
/// <see cref="LogFlusher"/>, and the single place where log data is written and files are fsync'd — through
/// <see cref="Disk"/>, so tests can count fsyncs, cut the power or fail a write, and nothing reaches the disk
/// another way. Thread-safety: immutable after construction except <see cref="Flusher"/>, which is created once,
/// lazily and thread-safely.
/// </summary>
public sealed partial class LogEnvironment
{
    private LogFlusher? _flusher;

    public LogEnvironment(TimeProvider? time = null, ILogger? logger = null, Action<string>? fsyncObserver = null, IDisk? disk = null, IStorageMetrics? metrics = null)
    {
        Time = time ?? TimeProvider.System;
        Logger = logger ?? NullLogger.Instance;
        FsyncObserver = fsyncObserver;
        Disk = disk ?? LocalDisk.Instance;
        Metrics = metrics;
    }

    /// <summary>Where fsync latencies and group-commit rounds are reported; null: nowhere.</summary>
    public IStorageMetrics? Metrics { get; }

    /// <summary>Where writes and fsyncs go: the machine's file system, or a test's simulated disk.</summary>
    public IDisk Disk { get; }

    /// <summary>Every clock read in the storage layer goes through this.</summary>
    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Called after every successful fsync with the path synced (tests count group commits with it).</summary>
    public Action<string>? FsyncObserver { get; }

    /// <summary>The group-commit flusher for <see cref="LogFlushMode.Ack"/>; one per environment.</summary>
    public LogFlusher Flusher => _flusher ?? InitFlusher();

    internal long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    private LogFlusher InitFlusher()
    {
        Interlocked.CompareExchange(ref _flusher, new LogFlusher(this), null);
        return _flusher!;
    }

    /// <summary>fsyncs a file's data and metadata.</summary>
    internal void Fsync(SafeFileHandle handle, string path)
    {
        var started = Stopwatch.GetTimestamp();
        Disk.Fsync(handle, path);
        Metrics?.FsyncCompleted(Stopwatch.GetElapsedTime(started));
        FsyncObserver?.Invoke(path);
    }

    /// <summary>Writes log data at <paramref name="offset"/> of an open file.</summary>
    internal void Write(SafeFileHandle handle, string path, ReadOnlySpan<byte> bytes, long offset) => Disk.Write(handle, path, bytes, offset);

    /// <summary>fsyncs a directory so that creates, renames and deletes in it survive a crash (Linux/macOS).</summary>
    internal void FsyncDirectory(string directory)
    {
        Disk.FsyncDirectory(directory);
        FsyncObserver?.Invoke(directory);
    }

    /// <summary>fsyncs the file at <paramref name="path"/>; false if it no longer exists.</summary>
    internal bool FsyncFile(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            Fsync(handle, path);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically: temp file, fsync, rename, fsync dir.</summary>
    internal void WriteFileAtomically(string path, ReadOnlySpan<byte> contents) =>
        DurableFiles.WriteAtomically(Disk, path, contents, FsyncObserver);

    /// <summary>Replaces <paramref name="path"/> through a temp file and a rename, without fsync (see <see cref="DurableFiles.ReplaceWithoutSync"/>).</summary>
    internal void ReplaceFileWithoutSync(string path, ReadOnlySpan<byte> contents) => DurableFiles.ReplaceWithoutSync(Disk, path, contents);
}
