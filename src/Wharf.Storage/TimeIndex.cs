using System.Buffers.Binary;

namespace Wharf.Storage;

/// <summary>
/// Sparse map from timestamp to offset for one segment. On disk (<c>.timeindex</c>), a flat array of 12-byte
/// entries, big-endian: <c>timestamp int64</c> and <c>relative_offset int32</c>. An entry (T, o) means: the
/// largest timestamp in the segment up to and including the batch based at offset o is T. Entries are added
/// with the offset index entries, only when T grew, so both fields strictly increase.
/// Like <see cref="OffsetIndex"/>, in memory first, written when the segment closes, checked on load and
/// rebuilt from the log when missing or invalid.
/// Thread-safety: one writer; lock-free readers see a consistent prefix (entries are immutable pairs in an
/// array that is replaced, never shrunk in place, and published before the count).
/// </summary>
internal sealed class TimeIndex
{
    public const int EntrySize = 12;

    private Entry[] _entries;
    private int _count;

    public TimeIndex(long baseOffset, int capacity = 16)
    {
        BaseOffset = baseOffset;
        _entries = new Entry[Math.Max(capacity, 4)];
    }

    public long BaseOffset { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>The newest entry's timestamp, or -1.</summary>
    public long LastTimestamp => Count is var c and > 0 ? Volatile.Read(ref _entries)[c - 1].Timestamp : -1;

    public void MaybeAppend(long timestamp, long offset)
    {
        var count = _count;
        var entries = _entries;
        if (count > 0 && (timestamp <= entries[count - 1].Timestamp || offset - BaseOffset <= entries[count - 1].Relative))
        {
            return;
        }

        if (count == entries.Length)
        {
            var grown = new Entry[entries.Length * 2];
            entries.AsSpan().CopyTo(grown);
            Volatile.Write(ref _entries, grown);
            entries = grown;
        }

        entries[count] = new Entry(timestamp, checked((int)(offset - BaseOffset)));
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>
    /// The batch offset to start scanning from for the first record with timestamp ≥ <paramref name="timestamp"/>:
    /// the last entry whose timestamp is below it (no earlier batch can qualify), or the segment base.
    /// </summary>
    public long LookupScanStart(long timestamp)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Timestamp < timestamp)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? BaseOffset : BaseOffset + entries[found].Relative;
    }

    /// <summary>Drops entries at or after <paramref name="offset"/>; copy-on-truncate.</summary>
    public void TruncateTo(long offset)
    {
        var count = _count;
        var entries = _entries;
        var keep = 0;
        while (keep < count && BaseOffset + entries[keep].Relative < offset)
        {
            keep++;
        }

        if (keep == count)
        {
            return;
        }

        var copy = new Entry[Math.Max(entries.Length, 4)];
        entries.AsSpan(0, keep).CopyTo(copy);
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _entries, copy);
        Volatile.Write(ref _count, keep);
    }

    public void Clear()
    {
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _entries, new Entry[16]);
    }

    public byte[] Serialize()
    {
        var count = Count;
        var entries = Volatile.Read(ref _entries);
        var bytes = new byte[count * EntrySize];
        for (var i = 0; i < count; i++)
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
        problem = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            problem = "missing";
            return null;
        }

        if (bytes.Length % EntrySize != 0)
        {
            problem = $"length {bytes.Length} is not a multiple of {EntrySize}";
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

    private readonly record struct Entry(long Timestamp, int Relative);
}
