using System.Buffers.Binary;
using Wharf.Common;

namespace Wharf.Storage;

/// <summary>
/// The <c>&lt;offset&gt;.snapshot</c> file of a partition directory: the producer state after applying every
/// batch below <c>offset</c> (the 20-digit zero-padded name, like a segment's). All integers big-endian:
/// <code>
/// version             int16    1
/// crc                 uint32   CRC-32C of every byte after this field
/// producer_count      int32
/// producer_count times:
///   producer_id               int64
///   producer_epoch            int16
///   coordinator_epoch         int32    -1 when none (transactions)
///   current_txn_first_offset  int64    -1 when no transaction is open
///   last_update_ms            int64    broker time of the last append (expiry)
///   batch_count               int8     0..5, oldest first
///   batch_count times:
///     first_sequence  int32
///     last_sequence   int32
///     first_offset    int64
///     last_offset     int64
///     timestamp       int64    the batch's max timestamp
/// </code>
/// Unlike Kafka's snapshot (which keeps only each producer's last batch) all cached batches are kept, so duplicate
/// detection after a restart is as good as before it. Written atomically (temp file, fsync, rename, fsync the
/// directory): a reader sees a whole file or none. A file that fails its CRC or does not parse is reported as
/// corrupt; the caller deletes it and falls back to an older snapshot or to replaying the log.
/// Thread-safety: stateless.
/// </summary>
public static class ProducerStateSnapshot
{
    public const string Suffix = ".snapshot";
    public const short CurrentVersion = 1;

    private const int FileHeaderSize = 2 + 4 + 4;
    private const int ProducerHeaderSize = 8 + 2 + 4 + 8 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8 + 8;

    public static string FileName(string directory, long offset) => Path.Combine(directory, LogFileNames.FileStem(offset) + Suffix);

    /// <summary>Offsets of the snapshot files in <paramref name="directory"/>, ascending.</summary>
    public static List<long> List(string directory)
    {
        var offsets = new List<long>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Suffix))
        {
            var name = Path.GetFileName(path);
            if (name.Length == 20 + Suffix.Length && LogFileNames.TryParseBaseOffset(name, out var offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        return offsets;
    }

    public static byte[] Serialize(IReadOnlyCollection<ProducerStateEntry> producers)
    {
        var size = FileHeaderSize + producers.Sum(p => ProducerHeaderSize + (p.Batches.Count * BatchSize));
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, CurrentVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[6..], producers.Count);
        var position = FileHeaderSize;
        foreach (var producer in producers)
        {
            var p = span[position..];
            BinaryPrimitives.WriteInt64BigEndian(p, producer.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(p[8..], producer.ProducerEpoch);
            BinaryPrimitives.WriteInt32BigEndian(p[10..], producer.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(p[14..], producer.CurrentTxnFirstOffset);
            BinaryPrimitives.WriteInt64BigEndian(p[22..], producer.LastUpdateMs);
            p[30] = (byte)producer.Batches.Count;
            position += ProducerHeaderSize;
            foreach (var batch in producer.Batches)
            {
                var b = span[position..];
                BinaryPrimitives.WriteInt32BigEndian(b, batch.FirstSequence);
                BinaryPrimitives.WriteInt32BigEndian(b[4..], batch.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(b[8..], batch.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(b[16..], batch.LastOffset);
                BinaryPrimitives.WriteInt64BigEndian(b[24..], batch.Timestamp);
                position += BatchSize;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[2..], Crc32C.Compute(span[6..]));
        return bytes;
    }

    /// <summary>Parses a snapshot; false (with a reason) when it is truncated, has a bad CRC or bad values.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> bytes, out List<ProducerStateEntry> producers, out string? problem)
    {
        producers = [];
        problem = null;
        if (bytes.Length < FileHeaderSize)
        {
            problem = $"{bytes.Length} bytes, too short for the header";
            return false;
        }

        var version = BinaryPrimitives.ReadInt16BigEndian(bytes);
        if (version != CurrentVersion)
        {
            problem = $"unknown version {version}";
            return false;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]) != Crc32C.Compute(bytes[6..]))
        {
            problem = "CRC mismatch";
            return false;
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(bytes[6..]);
        var position = FileHeaderSize;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - position < ProducerHeaderSize)
            {
                problem = $"producer {i} runs past the end";
                return false;
            }

            var p = bytes[position..];
            var entry = new ProducerStateEntry(BinaryPrimitives.ReadInt64BigEndian(p), BinaryPrimitives.ReadInt16BigEndian(p[8..]))
            {
                CoordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(p[10..]),
                CurrentTxnFirstOffset = BinaryPrimitives.ReadInt64BigEndian(p[14..]),
                LastUpdateMs = BinaryPrimitives.ReadInt64BigEndian(p[22..]),
            };
            int batchCount = p[30];
            position += ProducerHeaderSize;
            if (entry.ProducerId < 0 || batchCount > ProducerStateEntry.MaxCachedBatches || bytes.Length - position < batchCount * BatchSize)
            {
                problem = $"producer {i} is invalid (id {entry.ProducerId}, {batchCount} batches)";
                return false;
            }

            for (var j = 0; j < batchCount; j++)
            {
                var b = bytes[position..];
                entry.AddBatch(new ProducerBatchMetadata(
                    BinaryPrimitives.ReadInt32BigEndian(b),
                    BinaryPrimitives.ReadInt32BigEndian(b[4..]),
                    BinaryPrimitives.ReadInt64BigEndian(b[8..]),
                    BinaryPrimitives.ReadInt64BigEndian(b[16..]),
                    BinaryPrimitives.ReadInt64BigEndian(b[24..])));
                position += BatchSize;
            }

            producers.Add(entry);
        }

        if (position != bytes.Length)
        {
            problem = $"{bytes.Length - position} trailing bytes";
            return false;
        }

        return true;
    }
}
