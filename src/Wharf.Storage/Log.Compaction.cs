using Microsoft.Extensions.Logging;

namespace Wharf.Storage;

public sealed partial class Log
{
    /// <summary>
    /// Commits a compaction result. <paramref name="cleanedPath"/> (<c>X.log.cleaned</c>) is complete and fsync'd.
    /// Steps, each leaving the directory recoverable by <see cref="Open"/>:
    /// (1) rename <c>X.log.cleaned</c> → <c>X.log.swap</c> and fsync the directory: the result is committed
    /// (a crash before this loses only the cleaning; after it, the next open finishes the swap);
    /// (2) rename the old <c>X.log</c> and its indexes to <c>.deleted</c>;
    /// (3) rename <c>X.log.swap</c> → <c>X.log</c>, write its indexes, fsync the directory;
    /// (4) publish the new segment; the old one is closed and deleted after the file-delete delay.
    /// Returns false (and removes the cleaned file) when <paramref name="old"/> is no longer a closed segment of
    /// this log (retention or truncation removed it meanwhile).
    /// </summary>
    internal bool ReplaceSegment(LogSegment old, string cleanedPath)
    {
        // Validate and index the cleaned file before taking the lock: appends keep going meanwhile.
        var fresh = LogSegment.Open(_environment, cleanedPath, old.BaseOffset);
        var cut = fresh.Recover(old.BaseOffset, _config.IndexIntervalBytes, out var reason);
        if (cut != 0)
        {
            fresh.Dispose();
            File.Delete(cleanedPath);
            throw new InvalidOperationException($"{TopicPartition}: cleaned segment {cleanedPath} failed verification ({reason}).");
        }

        fresh.FlushedSize = fresh.Size;
        lock (_writeLock)
        {
            var snapshot = _snapshot;
            var index = Array.IndexOf(snapshot.Segments, old);
            if (_disposed || index < 0 || index == snapshot.Segments.Length - 1)
            {
                fresh.Dispose();
                File.Delete(cleanedPath);
                return false;
            }

            var logPath = LogFileNames.LogFile(Directory, old.BaseOffset);
            fresh.MoveLogFile(logPath + LogFileNames.SwapSuffix);
            _environment.FsyncDirectory(Directory);
            old.RenameAll(LogFileNames.DeletedSuffix);
            fresh.MoveLogFile(logPath);
            fresh.WriteIndexFiles();
            _environment.FsyncDirectory(Directory);

            var segments = (LogSegment[])snapshot.Segments.Clone();
            segments[index] = fresh;
            _snapshot = snapshot with { Segments = segments };
            _retired.Add((old, _environment.NowMs + _config.FileDeleteDelayMs));
            DeleteRetiredLocked(force: false);
            _environment.Logger.LogInformation("{Partition}: compacted segment {BaseOffset}: {Before} -> {After} bytes", TopicPartition, old.BaseOffset, old.Size, fresh.Size);
            return true;
        }
    }
}
