using System.Buffers.Binary;

namespace Wharf.Storage;

/// <summary>
/// One aborted transaction of a partition: producer <see cref="ProducerId"/> wrote transactional batches from
/// <see cref="FirstOffset"/> and its ABORT marker is at <see cref="LastOffset"/>. <see cref="LastStableOffset"/> is the
/// partition's last stable offset once the marker was applied (kept for Kafka's file format; reads do not need it).
/// A read_committed consumer skips the producer's transactional batches in [FirstOffset, LastOffset].
/// </summary>
public readonly record struct AbortedTransaction(long ProducerId, long FirstOffset, long LastOffset, long LastStableOffset);

/// <summary>
/// The aborted-transaction index of a segment, <c>&lt;base offset&gt;.txnindex</c> beside its <c>.log</c>: every
/// transaction whose ABORT marker lies in the segment, in marker order. Kafka's <c>TransactionIndex</c> layout, so
/// Kafka's tools read it: fixed 34-byte entries, big-endian, no file header:
/// <code>
/// version             int16   0
/// producer_id         int64
/// first_offset        int64   first offset of the producer's transaction in this partition
/// last_offset         int64   offset of the ABORT marker
/// last_stable_offset  int64   the partition's last stable offset after the marker
/// </code>
/// The file is written whole and atomically when its segment is rolled and, for the active segment, at a clean
/// stop; it is absent when the segment has no aborted transaction. After a crash the entries at or above the
/// offset the producer state is replayed from are dropped and found again by the replay (see
/// <c>Log.Transactions.cs</c>), so a missing or stale file of the active segment is never trusted.
/// A file whose size is not a multiple of 34 or whose entry has an unknown version is reported as corrupt.
/// Thread-safety: stateless.
/// </summary>
public static class TransactionIndexFile
{
    public const string Suffix = ".txnindex";
    public const int EntrySize = 2 + 8 + 8 + 8 + 8;
    public const short CurrentVersion = 0;

    public static string FileName(string directory, long baseOffset) => Path.Combine(directory, LogFileNames.FileStem(baseOffset) + Suffix);

    public static byte[] Serialize(IReadOnlyCollection<AbortedTransaction> entries)
    {
        var bytes = new byte[entries.Count * EntrySize];
        var span = bytes.AsSpan();
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt16BigEndian(span, CurrentVersion);
            BinaryPrimitives.WriteInt64BigEndian(span[2..], entry.ProducerId);
            BinaryPrimitives.WriteInt64BigEndian(span[10..], entry.FirstOffset);
            BinaryPrimitives.WriteInt64BigEndian(span[18..], entry.LastOffset);
            BinaryPrimitives.WriteInt64BigEndian(span[26..], entry.LastStableOffset);
            span = span[EntrySize..];
        }

        return bytes;
    }

    /// <summary>Parses a file's bytes; false with <paramref name="problem"/> when they are not a valid index.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> bytes, out List<AbortedTransaction> entries, out string? problem)
    {
        entries = [];
        problem = null;
        if (bytes.Length % EntrySize != 0)
        {
            problem = $"size {bytes.Length} is not a multiple of {EntrySize}";
            return false;
        }

        for (; !bytes.IsEmpty; bytes = bytes[EntrySize..])
        {
            var version = BinaryPrimitives.ReadInt16BigEndian(bytes);
            if (version != CurrentVersion)
            {
                problem = $"entry {entries.Count} has version {version}";
                return false;
            }

            var entry = new AbortedTransaction(
                BinaryPrimitives.ReadInt64BigEndian(bytes[2..]),
                BinaryPrimitives.ReadInt64BigEndian(bytes[10..]),
                BinaryPrimitives.ReadInt64BigEndian(bytes[18..]),
                BinaryPrimitives.ReadInt64BigEndian(bytes[26..]));
            if (entry.FirstOffset < 0 || entry.LastOffset < entry.FirstOffset)
            {
                problem = $"entry {entries.Count} has offsets {entry.FirstOffset}..{entry.LastOffset}";
                return false;
            }

            entries.Add(entry);
        }

        return true;
    }
}
