using System.Numerics;

namespace Wharf.Storage;

/// <summary>An entry of a sparse segment index, keyed by its offset relative to the segment's base offset.</summary>
internal interface ISparseIndexEntry
{
    int Relative { get; }
}

/// <summary>
/// The in-memory entries of a sparse segment index (<see cref="OffsetIndex"/>, <see cref="TimeIndex"/>), in increasing
/// order, and the file checks both share.
/// Thread-safety: one writer (the log's write lock); readers are lock-free. An entry is written before the count that
/// exposes it is published, and the backing array is replaced (never shrunk in place) on growth and on truncation, so
/// a reader always sees a consistent prefix.
/// </summary>
internal sealed class SparseIndexEntries<TEntry>(int capacity)
    where TEntry : struct, ISparseIndexEntry
{
    private TEntry[] _entries = new TEntry[Math.Max(capacity, 4)];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>A consistent view of the entries published so far.</summary>
    public ReadOnlySpan<TEntry> Snapshot()
    {
        var count = Volatile.Read(ref _count);
        return Volatile.Read(ref _entries).AsSpan(0, count);
    }

    /// <summary>The newest entry, if any.</summary>
    public bool TryGetLast(out TEntry last)
    {
        var entries = Snapshot();
        last = entries.IsEmpty ? default : entries[^1];
        return !entries.IsEmpty;
    }

    public void Append(TEntry entry)
    {
        var count = _count;
        var entries = _entries;
        if (count == entries.Length)
        {
            var grown = new TEntry[entries.Length * 2];
            entries.AsSpan().CopyTo(grown);
            Volatile.Write(ref _entries, grown);
            entries = grown;
        }

        entries[count] = entry;
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Drops the entries at or after <paramref name="relative"/> (copy-on-truncate: readers keep their view).</summary>
    public void TruncateFrom(long relative)
    {
        var count = _count;
        var entries = _entries;
        var keep = 0;
        while (keep < count && entries[keep].Relative < relative)
        {
            keep++;
        }

        if (keep == count)
        {
            return;
        }

        var copy = new TEntry[Math.Max(entries.Length, 4)];
        entries.AsSpan(0, keep).CopyTo(copy);
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _entries, copy);
        Volatile.Write(ref _count, keep);
    }

    public void Clear()
    {
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _entries, new TEntry[16]);
    }

    /// <summary>
    /// The last entry whose key (by <paramref name="key"/>, increasing along the entries) is at most
    /// <paramref name="bound"/> — or below it when <paramref name="strictlyBelow"/> — or -1.
    /// </summary>
    public static int FindLast<TKey>(ReadOnlySpan<TEntry> entries, Func<TEntry, TKey> key, TKey bound, bool strictlyBelow = false)
        where TKey : INumber<TKey>
    {
        int lo = 0, hi = entries.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var value = key(entries[mid]);
            if (strictlyBelow ? value < bound : value <= bound)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>An index file's bytes when it exists and holds whole entries of <paramref name="entrySize"/>; else null and why.</summary>
    public static byte[]? ReadFile(string path, int entrySize, out string? problem)
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

        if (bytes.Length % entrySize != 0)
        {
            problem = $"length {bytes.Length} is not a multiple of {entrySize}";
            return null;
        }

        return bytes;
    }
}
