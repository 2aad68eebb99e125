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
/// Thread-safety: one writer (the log's write lock), lock-free readers (<see cref="SparseIndexEntries{TEntry}"/>).
/// </summary>
internal sealed class OffsetIndex
{
    public const int EntrySize = 8;

    private readonly SparseIndexEntries<Entry> _entries;

    public OffsetIndex(long baseOffset, int capacity = 16)
    {
        BaseOffset = baseOffset;
        _entries = new SparseIndexEntries<Entry>(capacity);
    }

    public long BaseOffset { get; }

    public int Count => _entries.Count;

    public int LastPosition => _entries.TryGetLast(out var last) ? last.Position : 0;

    public long LastOffset => _entries.TryGetLast(out var last) ? BaseOffset + last.Relative : BaseOffset;

    public void Append(long offset, int position) => _entries.Append(new Entry(checked((int)(offset - BaseOffset)), position));

    /// <summary>The last entry whose offset is ≤ <paramref name="offset"/>, or (segment base, 0).</summary>
    public (long Offset, int Position) Lookup(long offset)
    {
        var entries = _entries.Snapshot();
        return At(entries, SparseIndexEntries<Entry>.FindLast(entries, static e => (long)e.Relative, offset - BaseOffset));
    }

    /// <summary>The last entry whose position is ≤ <paramref name="position"/>, or (segment base, 0).</summary>
    public (long Offset, int Position) LookupByPosition(long position)
    {
        var entries = _entries.Snapshot();
        return At(entries, SparseIndexEntries<Entry>.FindLast(entries, static e => (long)e.Position, position));
    }

    /// <summary>Drops entries at or after <paramref name="offset"/> (copy-on-truncate: readers keep their view).</summary>
    public void TruncateTo(long offset) => _entries.TruncateFrom(offset - BaseOffset);

    public void Clear() => _entries.Clear();

    public byte[] Serialize()
    {
        var entries = _entries.Snapshot();
        var bytes = new byte[entries.Length * EntrySize];
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize), entries[i].Relative);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize + 4), entries[i].Position);
        }

        return bytes;
    }

    /// <summary>
    /// Parses an index file and checks it against the log: whole entries, offsets and positions strictly
    /// increasing, positions inside the log. Returns null (rebuild) on any failure, including a missing file.
    /// </summary>
    public static OffsetIndex? TryLoad(string path, long baseOffset, long logSize, out string? problem)
    {
        if (SparseIndexEntries<Entry>.ReadFile(path, EntrySize, out problem) is not { } bytes)
        {
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

    private (long Offset, int Position) At(ReadOnlySpan<Entry> entries, int found) =>
        found < 0 ? (BaseOffset, 0) : (BaseOffset + entries[found].Relative, entries[found].Position);

    private readonly record struct Entry(int Relative, int Position) : ISparseIndexEntry;
}
