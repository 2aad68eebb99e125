using System.Globalization;
using System.Text;
using Wharf.Common;

namespace Wharf.Storage;

/// <summary>
/// Kafka-style text checkpoint files, UTF-8, LF line ends:
/// <code>
/// 0                 version
/// 2                 number of entries
/// orders 0 1234     one entry per line, fields separated by one space
/// orders 1 77
/// </code>
/// Per-partition files (<c>recovery-point-offset-checkpoint</c>, <c>log-start-offset-checkpoint</c>) hold
/// <c>topic partition offset</c>; <c>leader-epoch-checkpoint</c> holds <c>epoch start_offset</c>. Written
/// atomically (temp file, fsync, rename, fsync the directory), so a reader sees the old or the new file, never
/// a mix. A file that does not parse is reported as corrupt and the caller falls back to a safe default.
/// Thread-safety: stateless; callers serialise writes of one path.
/// </summary>
public static class CheckpointFile
{
    public const int CurrentVersion = 0;

    /// <summary>Writes <c>topic partition value</c> lines.</summary>
    public static void WritePartitionOffsets(LogEnvironment environment, string path, IEnumerable<KeyValuePair<TopicPartition, long>> entries) =>
        Write(environment, path, entries.Select(e => $"{e.Key.Topic} {e.Key.Partition.ToString(CultureInfo.InvariantCulture)} {e.Value.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>Reads <c>topic partition value</c> lines; a missing file is empty, a corrupt one returns false.</summary>
    public static bool TryReadPartitionOffsets(string path, out Dictionary<TopicPartition, long> entries)
    {
        entries = [];
        if (!TryReadLines(path, out var lines))
        {
            return false;
        }

        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length != 3
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                entries.Clear();
                return false;
            }

            entries[new TopicPartition(parts[0], partition)] = value;
        }

        return true;
    }

    /// <summary>Writes arbitrary entry lines under the version and count header.</summary>
    internal static void Write(LogEnvironment environment, string path, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        var text = new StringBuilder();
        text.Append(CurrentVersion.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(list.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var line in list)
        {
            text.Append(line).Append('\n');
        }

        environment.WriteFileAtomically(path, Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Reads the entry lines; true with none for a missing file, false for a malformed one.</summary>
    internal static bool TryReadLines(string path, out List<string> lines)
    {
        lines = [];
        string[] all;
        try
        {
            all = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true;
        }

        if (all.Length < 2
            || all[0] != CurrentVersion.ToString(CultureInfo.InvariantCulture)
            || !int.TryParse(all[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || all.Length < count + 2)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            lines.Add(all[i + 2]);
        }

        // Anything after the counted lines must be the final newline only.
        return all.Skip(count + 2).All(string.IsNullOrEmpty);
    }
}
