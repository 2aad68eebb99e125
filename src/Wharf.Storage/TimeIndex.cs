using System.Buffers.Binary;

namespace Wharf.Storage;

/// <summary>
/// Sparse map from timestamp to offset for one segment. On disk (<c>.timeindex</c>), a flat array of 12-byte
/// entries, big-endian: <c>timestamp int64</c> and <c>relative_offset int32</c>. An entry (T, o) means: the
/// largest timestamp in the segment up to and including the batch based at offset o is T. Entries are added
/// with the offset index entries, only when T grew, so both fields strictly increase.
/// Like <see cref="OffsetIndex"/>, in memory first, written when the segment closes, checked on load and
/// rebuilt from the log when missing or invalid.
/// Thread-safety: one writer (the log's write lock), lock-free readers (<see cref="SparseIndexEntries{TEntry}"/>).
/// </summary>
internal sealed class TimeIndex
{
    public const int EntrySize = 12;

    private readonly SparseIndexEntries<Entry> _entries;

    public TimeIndex(long baseOffset, int capacity = 16)
    {
        BaseOffset = baseOffset;
        _entries = new SparseIndexEntries<Entry>(capacity);
    }

    public long BaseOffset { get; }

    public int Count => _entries.Count;

    /// <summary>The newest entry's timestamp, or -1.</summary>
    public long LastTimestamp => _entries.TryGetLast(out var last) ? last.Timestamp : -1;

    public void MaybeAppend(long timestamp, long offset)
    {
        if (_entries.TryGetLast(out var last) && (timestamp <= last.Timestamp || offset - BaseOffset <= last.Relative))
        {
            return;
        }

        _entries.Append(new Entry(timestamp, checked((int)(offset - BaseOffset))));
    }

    /// <summary>
    /// The batch offset to start scanning from for the first record with timestamp ≥ <paramref name="timestamp"/>:
    /// the last entry whose timestamp is below it (no earlier batch can qualify), or the segment base.
    /// </summary>
    public long LookupScanStart(long timestamp)
    {
        var entries = _entries.Snapshot();
        var found = SparseIndexEntries<Entry>.FindLast(entries, static e => e.Timestamp, timestamp, strictlyBelow: true);
        return found < 0 ? BaseOffset : BaseOffset + entries[found].Relative;
    }

    /// <summary>Drops entries at or after <paramref name="offset"/>; copy-on-truncate.</summary>
    public void TruncateTo(long offset) => _entries.TruncateFrom(offset - BaseOffset);

    public void Clear() => _entries.Clear();

    public byte[] Serialize()
    {
        var entries = _entries.Snapshot();
        var bytes = new byte[entries.Length * EntrySize];
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * EntrySize), entries[i].Timestamp);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize + 8), entries[i].Relative);
        }

        return bytes;
    }

    /// <summary>
    /// Parses and checks a time index: whole entries, both fields strictly increasing, offsets inside
    /// [base, <paramref name="lastOffset"/>]. Returns null (rebuild) on any failure, including a missing file.
    /// </summary>
    public static TimeIndex? TryLoad(string path, long baseOffset, long lastOffset, out string? problem)
    {
        if (SparseIndexEntries<Entry>.ReadFile(path, EntrySize, out problem) is not { } bytes)
        {
            return null;
        }

        var index = new TimeIndex(baseOffset, bytes.Length / EntrySize);
        long previousTimestamp = long.MinValue;
        var previousRelative = -1;
        for (var i = 0; i < bytes.Length; i += EntrySize)
        {
            var timestamp = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i));
            var relative = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i + 8));
            if (timestamp <= previousTimestamp || relative <= previousRelative || baseOffset + relative > lastOffset)
            {
                problem = $"entry {i / EntrySize} ({timestamp} → {relative}) is out of order or beyond the log";
                return null;
            }

            index.MaybeAppend(timestamp, baseOffset + relative);
            previousTimestamp = timestamp;
            previousRelative = relative;
        }

        return index;
    }

    private readonly record struct Entry(long Timestamp, int Relative) : ISparseIndexEntry;
}
