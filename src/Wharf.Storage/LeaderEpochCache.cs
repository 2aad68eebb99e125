using System.Globalization;

namespace Wharf.Storage;

/// <summary>
/// The partition's leader epochs: for each epoch, the first offset written in it (KIP-101). Persisted in
/// <c>leader-epoch-checkpoint</c> in the partition directory as a <see cref="CheckpointFile"/> with
/// <c>epoch start_offset</c> lines in increasing order of both. Rewritten (atomically) whenever it changes;
/// changes are rare (a new leader, a truncation, retention moving the log start).
/// Invariant: epochs and start offsets both strictly increase.
/// Thread-safety: mutated only under the owning <see cref="Log"/>'s write lock; reads take a snapshot
/// (the entry list is replaced, never changed in place), so readers never block the writer.
/// </summary>
public sealed class LeaderEpochCache
{
    private readonly LogEnvironment _environment;
    private readonly string _path;
    private volatile EpochEntry[] _entries;

    private LeaderEpochCache(LogEnvironment environment, string path, EpochEntry[] entries)
    {
        _environment = environment;
        _path = path;
        _entries = entries;
    }

    /// <summary>-1: no epoch (Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET).</summary>
    public const int UndefinedEpoch = -1;

    public const long UndefinedOffset = -1;

    public IReadOnlyList<EpochEntry> Entries => _entries;

    public int LatestEpoch => _entries is [.., var last] ? last.Epoch : UndefinedEpoch;

    /// <summary>
    /// Loads the checkpoint. Returns false (and an empty cache) when the file is missing or corrupt; the
    /// caller then rebuilds it from the batches' partition leader epochs.
    /// </summary>
    internal static bool TryLoad(LogEnvironment environment, string directory, out LeaderEpochCache cache)
    {
        var path = Path.Combine(directory, LogFileNames.LeaderEpochCheckpoint);
        cache = new LeaderEpochCache(environment, path, []);
        if (!File.Exists(path) || !CheckpointFile.TryReadLines(path, out var lines))
        {
            return false;
        }

        var entries = new List<EpochEntry>(lines.Count);
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || entries is [.., var previous] && (epoch <= previous.Epoch || start < previous.StartOffset))
            {
                return false;
            }

            entries.Add(new EpochEntry(epoch, start));
        }

        cache._entries = [.. entries];
        return true;
    }

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/>, if it is newer than the
    /// latest epoch. An older or equal epoch is ignored (its start is already known). Returns whether it changed.
    /// </summary>
    internal bool Assign(int epoch, long startOffset, bool persist = true)
    {
        if (epoch < 0 || epoch <= LatestEpoch)
        {
            return false;
        }

        // A later epoch starting at the same offset as the previous one replaces it (the previous wrote nothing).
        var kept = _entries.Where(e => e.StartOffset < startOffset).ToList();
        kept.Add(new EpochEntry(epoch, startOffset));
        _entries = [.. kept];
        if (persist)
        {
            Flush();
        }

        return true;
    }

    /// <summary>Drops every epoch that starts at or after <paramref name="endOffset"/> (log truncation).</summary>
    internal void TruncateFromEnd(long endOffset, bool persist = true)
    {
        var entries = _entries;
        if (entries.Length == 0 || entries[^1].StartOffset < endOffset)
        {
            return;
        }

        _entries = [.. entries.Where(e => e.StartOffset < endOffset)];
        if (persist)
        {
            Flush();
        }
    }

    /// <summary>
    /// Drops epochs that end before <paramref name="startOffset"/> (the log start moved forward) and moves the
    /// first remaining epoch's start up to it.
    /// </summary>
    internal void TruncateFromStart(long startOffset, bool persist = true)
    {
        var entries = _entries;
        if (entries.Length == 0 || entries[0].StartOffset >= startOffset)
        {
            return;
        }

        var firstKept = 0;
        for (var i = 1; i < entries.Length && entries[i].StartOffset <= startOffset; i++)
        {
            firstKept = i;
        }

        var kept = entries[firstKept..];
        kept[0] = kept[0] with { StartOffset = startOffset };
        _entries = kept;
        if (persist)
        {
            Flush();
        }
    }

    internal void Clear(bool persist = true)
    {
        _entries = [];
        if (persist)
        {
            Flush();
        }
    }

    /// <summary>
    /// OffsetForLeaderEpoch (KIP-101/279): the largest epoch ≤ <paramref name="requestedEpoch"/> and the offset
    /// where it ended — the start of the next higher epoch, or the log end offset for the latest epoch. Returns
    /// (<see cref="UndefinedEpoch"/>, <see cref="UndefinedOffset"/>) when the requested epoch is newer than any known.
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        var entries = _entries;
        if (requestedEpoch == UndefinedEpoch || entries.Length == 0)
        {
            return (UndefinedEpoch, UndefinedOffset);
        }

        if (requestedEpoch == entries[^1].Epoch)
        {
            return (requestedEpoch, logEndOffset);
        }

        var higher = Array.FindIndex(entries, e => e.Epoch > requestedEpoch);
        if (higher < 0)
        {
            return (UndefinedEpoch, UndefinedOffset);
        }

        return higher == 0
            ? (requestedEpoch, entries[0].StartOffset)
            : (entries[higher - 1].Epoch, entries[higher].StartOffset);
    }

    /// <summary>Persists the current entries (temp + fsync + rename).</summary>
    internal void Flush() =>
        CheckpointFile.Write(_environment, _path, _entries.Select(e => $"{e.Epoch.ToString(CultureInfo.InvariantCulture)} {e.StartOffset.ToString(CultureInfo.InvariantCulture)}"));
}

/// <summary>One leader epoch and the first offset written in it.</summary>
public readonly record struct EpochEntry(int Epoch, long StartOffset);
