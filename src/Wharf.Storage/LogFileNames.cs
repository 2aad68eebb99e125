using System.Globalization;

namespace Wharf.Storage;

/// <summary>
/// File names inside a partition directory. A segment is named by its base offset, zero-padded to 20 digits
/// (<c>00000000000000001234.log</c>, <c>.index</c>, <c>.timeindex</c>). Suffixes appended during multi-step
/// changes: <c>.deleted</c> (being removed: delete on sight), <c>.cleaned</c> (a compaction result not yet
/// committed: delete on sight), <c>.swap</c> (a committed compaction result: replaces the segment of the same
/// name). Thread-safety: stateless.
/// </summary>
public static class LogFileNames
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string DeletedSuffix = ".deleted";
    public const string CleanedSuffix = ".cleaned";
    public const string SwapSuffix = ".swap";
    public const string TempSuffix = ".tmp";
    public const string LeaderEpochCheckpoint = "leader-epoch-checkpoint";
    public const string CleanShutdownMarker = ".clean-shutdown";
    public const string RecoveryPointCheckpoint = "recovery-point-offset-checkpoint";
    public const string LogStartOffsetCheckpoint = "log-start-offset-checkpoint";

    /// <summary>Suffix of a partition directory scheduled for deletion (<c>topic-0.&lt;guid&gt;-delete</c>).</summary>
    public const string DeleteDirSuffix = "-delete";

    public static string FileStem(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    public static string LogFile(string directory, long baseOffset) => Path.Combine(directory, FileStem(baseOffset) + LogSuffix);

    public static string IndexFile(string directory, long baseOffset) => Path.Combine(directory, FileStem(baseOffset) + IndexSuffix);

    public static string TimeIndexFile(string directory, long baseOffset) => Path.Combine(directory, FileStem(baseOffset) + TimeIndexSuffix);

    /// <summary>Parses the base offset from a name like <c>00000000000000001234.log</c> (any suffix).</summary>
    public static bool TryParseBaseOffset(string fileName, out long baseOffset)
    {
        baseOffset = -1;
        var dot = fileName.IndexOf('.', StringComparison.Ordinal);
        return dot == 20 && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Parses <c>topic-partition</c>; the topic may itself contain dashes.</summary>
    public static bool TryParsePartitionDirectory(string directoryName, out string topic, out int partition)
    {
        topic = string.Empty;
        partition = -1;
        var dash = directoryName.LastIndexOf('-');
        if (dash <= 0 || dash == directoryName.Length - 1 || directoryName.Contains('.', StringComparison.Ordinal) && directoryName.EndsWith(DeleteDirSuffix, StringComparison.Ordinal))
        {
            return false;
        }

        if (!int.TryParse(directoryName.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition))
        {
            return false;
        }

        topic = directoryName[..dash];
        return true;
    }
}
