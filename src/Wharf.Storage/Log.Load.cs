using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Storage;

/// <summary>What the data directory's checkpoints say about a log before it is opened.</summary>
/// <param name="HadCleanShutdown">The <c>.clean-shutdown</c> marker was present: trust sizes and (checked) indexes.</param>
/// <param name="RecoveryPoint">From <c>recovery-point-offset-checkpoint</c>; segments from the one holding it onward are verified.</param>
/// <param name="LogStartOffset">From <c>log-start-offset-checkpoint</c>.</param>
public sealed record LogLoadOptions(bool HadCleanShutdown = false, long RecoveryPoint = 0, long LogStartOffset = 0);

public sealed partial class Log
{
    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>. Without a clean shutdown, every segment from
    /// the one containing the recovery point onward is verified batch by batch (size, magic, CRC-32C, increasing
    /// offsets), its indexes rebuilt, and the log truncated at the first invalid byte, dropping later segments and
    /// cutting the leader-epoch cache to match. The producer state is then loaded from the newest
    /// <c>&lt;offset&gt;.snapshot</c> at or below the log end and the batches after it replayed. Leftovers of interrupted operations are resolved first:
    /// <c>.deleted</c>, <c>.cleaned</c> and <c>.tmp</c> files are removed, a <c>.swap</c> replaces its segment.
    /// Index files are always checked and rebuilt when missing or invalid.
    /// </summary>
    public static Log Open(string directory, TopicPartition topicPartition, LogConfig config, LogEnvironment environment, LogLoadOptions? options = null)
    {
        options ??= new LogLoadOptions();
        var logger = environment.Logger;
        System.IO.Directory.CreateDirectory(directory);
        CompleteInterruptedOperations(directory, topicPartition, logger);

        var segments = new List<LogSegment>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + LogFileNames.LogSuffix))
        {
            if (LogFileNames.TryParseBaseOffset(Path.GetFileName(path), out var baseOffset))
            {
                segments.Add(LogSegment.Open(environment, path, baseOffset));
            }
        }

        segments.Sort((a, b) => a.BaseOffset.CompareTo(b.BaseOffset));
        var recoverFrom = options.HadCleanShutdown || segments.Count == 0
            ? int.MaxValue
            : FindSegment([.. segments], options.RecoveryPoint);
        var recovered = false;
        var expected = 0L;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var recover = i >= recoverFrom;
            if (!recover && !segment.LoadIndexes(config.IndexIntervalBytes, out var problem))
            {
                logger.LogWarning("{Partition}: index of segment {Segment} is unusable ({Problem}); rebuilding it from the log", topicPartition, segment, problem);
                recover = true;
            }

            if (!recover)
            {
                expected = segment.NextOffset;
                continue;
            }

            recovered = true;
            var sizeBefore = segment.Size;
            var cut = segment.Recover(expected, config.IndexIntervalBytes, out var reason);
            expected = segment.NextOffset;
            if (cut == 0)
            {
                continue;
            }

            var dropped = segments.Skip(i + 1).ToList();
            logger.LogError(
                "{Partition}: TRUNCATED segment {Segment} from {Before} to {After} bytes ({Cut} bytes cut) because the {Reason}; dropping {Dropped} later segment(s) ({DroppedBytes} bytes). Log end offset is now {End}.",
                topicPartition, segment, sizeBefore, segment.Size, cut, reason, dropped.Count, dropped.Sum(s => s.Size), segment.NextOffset);
            foreach (var later in dropped)
            {
                later.RenameAll(LogFileNames.DeletedSuffix);
                later.DeleteFiles(logger);
            }

            segments.RemoveRange(i + 1, segments.Count - i - 1);
            break;
        }

        if (segments.Count == 0)
        {
            segments.Add(LogSegment.Create(environment, directory, Math.Max(options.LogStartOffset, 0)));
        }

        var endOffset = segments[^1].NextOffset;
        var startOffset = Math.Max(options.LogStartOffset, segments[0].BaseOffset);
        if (startOffset > endOffset)
        {
            // The checkpointed start is beyond what survived: start empty there rather than reuse offsets.
            logger.LogWarning("{Partition}: log start offset {Start} is beyond the recovered end {End}; starting an empty log at {Start}", topicPartition, startOffset, endOffset, startOffset);
            foreach (var segment in segments)
            {
                segment.RenameAll(LogFileNames.DeletedSuffix);
                segment.DeleteFiles(logger);
            }

            segments = [LogSegment.Create(environment, directory, startOffset)];
            endOffset = startOffset;
        }

        var epochs = LoadEpochCache(directory, topicPartition, environment, segments);
        epochs.TruncateFromEnd(endOffset);
        epochs.TruncateFromStart(startOffset);

        if (recovered)
        {
            // What recovery kept becomes the new durable baseline.
            foreach (var segment in segments.Skip(Math.Min(recoverFrom, segments.Count - 1)))
            {
                segment.FlushTo(long.MaxValue);
            }

            environment.FsyncDirectory(directory);
        }

        var array = segments.ToArray();
        var snapshot = new LogSnapshot(array, startOffset, endOffset, array[^1].Size);
        var log = new Log(environment, directory, topicPartition, config, epochs, snapshot, endOffset);
        log.LoadProducerState();
        if (recovered)
        {
            logger.LogInformation("{Partition}: recovered {Segments} segment(s); log is [{Start}, {End})", topicPartition, array.Length, startOffset, endOffset);
        }

        return log;
    }

    private static void CompleteInterruptedOperations(string directory, TopicPartition topicPartition, ILogger logger)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(directory).ToList())
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.CleanedSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.TempSuffix, StringComparison.Ordinal))
            {
                logger.LogInformation("{Partition}: removing leftover {File}", topicPartition, name);
                File.Delete(path);
            }
        }

        foreach (var swap in System.IO.Directory.EnumerateFiles(directory, "*" + LogFileNames.SwapSuffix).ToList())
        {
            var name = Path.GetFileName(swap);
            if (!LogFileNames.TryParseBaseOffset(name, out var baseOffset) || !name.EndsWith(LogFileNames.LogSuffix + LogFileNames.SwapSuffix, StringComparison.Ordinal))
            {
                File.Delete(swap);
                continue;
            }

            // A .swap is a complete, fsync'd compaction result that had been committed: it replaces the segment.
            logger.LogWarning("{Partition}: completing an interrupted compaction swap of segment {BaseOffset}", topicPartition, baseOffset);
            File.Delete(LogFileNames.IndexFile(directory, baseOffset));
            File.Delete(LogFileNames.TimeIndexFile(directory, baseOffset));
            File.Move(swap, LogFileNames.LogFile(directory, baseOffset), overwrite: true);
        }

        var logs = System.IO.Directory.EnumerateFiles(directory, "*" + LogFileNames.LogSuffix).Select(Path.GetFileName).ToHashSet();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory).ToList())
        {
            var name = Path.GetFileName(path);
            if ((name.EndsWith(LogFileNames.IndexSuffix, StringComparison.Ordinal) || name.EndsWith(LogFileNames.TimeIndexSuffix, StringComparison.Ordinal)
                    || name.EndsWith(TransactionIndexFile.Suffix, StringComparison.Ordinal))
                && LogFileNames.TryParseBaseOffset(name, out var baseOffset)
                && !logs.Contains(Path.GetFileName(LogFileNames.LogFile(directory, baseOffset))))
            {
                logger.LogInformation("{Partition}: removing index {File} that has no segment", topicPartition, name);
                File.Delete(path);
            }
        }
    }

    private static LeaderEpochCache LoadEpochCache(string directory, TopicPartition topicPartition, LogEnvironment environment, List<LogSegment> segments)
    {
        var path = Path.Combine(directory, LogFileNames.LeaderEpochCheckpoint);
        var existed = File.Exists(path);
        if (LeaderEpochCache.TryLoad(environment, directory, out var cache))
        {
            return cache;
        }

        var empty = segments.All(s => s.Size == 0);
        if (existed || !empty)
        {
            environment.Logger.LogWarning("{Partition}: {File} is {State}; rebuilding it from the batches' leader epochs", topicPartition, LogFileNames.LeaderEpochCheckpoint, existed ? "corrupt" : "missing");
        }

        Span<byte> header = stackalloc byte[Wharf.Records.RecordBatchLayout.HeaderSize];
        foreach (var segment in segments)
        {
            long position = 0;
            while (position < segment.Size && segment.TryReadHeader(position, header, out var batch))
            {
                cache.Assign(batch.PartitionLeaderEpoch, batch.BaseOffset, persist: false);
                position += batch.TotalSize;
            }
        }

        if (existed || cache.Entries.Count > 0)
        {
            cache.Flush();
        }

        return cache;
    }
}
