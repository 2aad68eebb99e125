using System.Buffers.Binary;

namespace Wharf.Storage;

/// <summary>
/// Sparse map from offset to file position for one segment. On disk (<c>.index</c>), a flat array of
/// 8-byte entries, big-endian: <c>relative_offset int32</c> (batch base offset − segment base offset) and
/// <c>position int32</c> (byte position of that batch in the <c>.log</c>). One entry is added roughly every
/// <c>index.interval.bytes</c> of log; both fields strictly increase. Offsets before the first entry are at
/// position 0 onwards.
/// The index lives in memory; the file is written when the segment is closed (roll, clean shutdown,
/// compaction) and is never trusted blindly: <see cref="TryLoad"/> checks it and the caller rebuilds it from the
/// log when it is missing or fails a check.
/// Thread-safety: one writer (the log's write lock). Readers are lock-free: an entry is written before the
/// count that exposes it is published, the backing array is replaced (never shrunk in place) on growth and on
/// truncation, so a reader always sees a consistent prefix.
/// </summary>
internal sealed class OffsetIndex
{
    public const int EntrySize = 8;

    private long[] _entries;
    private int _count;

    public OffsetIndex(long baseOffset, int capacity = 16)
    {
        BaseOffset = baseOffset;
        _entries = new long[Math.Max(capacity, 4)];
    }

    public long BaseOffset { get; }

    public int Count => Volatile.Read(ref _count);

    public int LastPosition => Count is var c and > 0 ? Position(Volatile.Read(ref _entries)[c - 1]) : 0;

    public long LastOffset => Count is var c and > 0 ? BaseOffset + Relative(Volatile.Read(ref _entries)[c - 1]) : BaseOffset;

    public void Append(long offset, int position)
    {
        var count = _count;
        var entries = _entries;
        if (count == entries.Length)
        {
            var grown = new long[entries.Length * 2];
            entries.AsSpan().CopyTo(grown);
            Volatile.Write(ref _entries, grown);
            entries = grown;
        }

        entries[count] = Pack(checked((int)(offset - BaseOffset)), position);
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>The last entry whose offset is ≤ <paramref name="offset"/>, or (segment base, 0).</summary>
    public (long Offset, int Position) Lookup(long offset)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        var relative = offset - BaseOffset;
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Relative(entries[mid]) <= relative)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? (BaseOffset, 0) : (BaseOffset + Relative(entries[found]), Position(entries[found]));
    }

    /// <summary>The last entry whose position is ≤ <paramref name="position"/>, or (segment base, 0).</summary>
    public (long Offset, int Position) LookupByPosition(long position)
    {
        var count = Volatile.Read(ref _count);
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Position(entries[mid]) <= position)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? (BaseOffset, 0) : (BaseOffset + Relative(entries[found]), Position(entries[found]));
    }

    /// <summary>Drops entries at or after <paramref name="offset"/> (copy-on-truncate: readers keep their view).</summary>
    public void TruncateTo(long offset)
    {
        var count = _count;
        var entries = _entries;
        var keep = 0;
        while (keep < count && BaseOffset + Relative(entries[keep]) < offset)
        {
            keep++;
        }

        if (keep == count)
        {
            return;
        }

        var copy = new long[Math.Max(entries.Length, 4)];
        entries.AsSpan(0, keep).CopyTo(copy);
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _entries, copy);
        Volatile.Write(ref _count, keep);
    }

    public void Clear()
    {
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _entries, new long[16]);
    }

    public byte[] Serialize()
    {
        var count = Count;
        var entries = Volatile.Read(ref _entries);
        var bytes = new byte[count * EntrySize];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize), Relative(entries[i]));
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize + 4), Position(entries[i]));
        }

        return bytes;
    }

    /// <summary>
    /// Parses an index file and checks it against the log: whole entries, offsets and positions strictly
    /// increasing, positions inside the log. Returns null (rebuild) on any failure, including a missing file.
    /// </summary>
    public static OffsetIndex? TryLoad(string path, long baseOffset, long logSize, out string? problem)
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

        var index = new OffsetIndex(baseOffset, bytes.Length / EntrySize);
        int previousRelative = -1, previousPosition = -1;
        for (var i = 0; i < bytes.Length; i += EntrySize)
        {
            var relative = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i));
            var position = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i + 4));
            if (relative <= previousRelative || position <= previousPosition || position >= logSize)
            {
                problem = $"entry {i / EntrySize} ({relative} → {position}) is out of order or beyond the log ({logSize} bytes)";
                return null;
            }

            index.Append(baseOffset + relative, position);
            previousRelative = relative;
            previousPosition = position;
        }

        return index;
    }

    private static long Pack(int relative, int position) => ((long)relative << 32) | (uint)position;

    private static int Relative(long entry) => (int)(entry >> 32);

    private static int Position(long entry) => (int)entry;
}
