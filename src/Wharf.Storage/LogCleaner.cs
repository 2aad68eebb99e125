using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Records;
using Wharf.Records.Compression;

namespace Wharf.Storage;

/// <summary>
/// Log compaction for <c>cleanup.policy=compact</c>: keeps only the newest record per key in the closed
/// segments (the active segment is never touched). One pass over a log:
/// <list type="number">
/// <item>Build a map key → newest offset over the closed segments (keys hashed with SHA-256, truncated to 128
/// bits, as Kafka's <c>SkimpyOffsetMap</c> does; memory is ~40 bytes per distinct key).</item>
/// <item>Rewrite each closed segment into <c>X.log.cleaned</c>: a record survives if it is the newest for its key,
/// has a null key, or its batch is younger than <c>min.compaction.lag.ms</c>; a tombstone (null value) that is
/// the newest for its key is also removed once its batch's max timestamp is older than
/// <c>delete.retention.ms</c>. Offsets are preserved: a batch keeps its base offset and last offset delta, its
/// surviving records keep their bytes (deltas are relative), and only record count, length and CRC change;
/// compressed batches are decompressed (bounded) and recompressed with the same codec. Control batches
/// (transaction markers) and transactional batches are copied unchanged. A batch left without records is dropped.</item>
/// <item>Commit via <see cref="Log.ReplaceSegment"/> (the <c>.cleaned</c> → <c>.swap</c> rename protocol).</item>
/// </list>
/// I/O is throttled to <see cref="MaxBytesPerSecond"/> (<c>log.cleaner.io.max.bytes.per.second</c>) using the
/// injected clock. Thread-safety: one pass at a time per cleaner (callers serialise; <see cref="LogManager"/> runs
/// one cleaner thread); it runs concurrently with appends and reads of the same log.
/// </summary>
public sealed class LogCleaner(LogEnvironment environment, double maxBytesPerSecond = double.MaxValue)
{
    public double MaxBytesPerSecond { get; } = maxBytesPerSecond;

    /// <summary>Compacts the closed segments of <paramref name="log"/> once. Returns what it did.</summary>
    public CleanerStats Clean(Log log)
    {
        var config = log.Config;
        var stats = new CleanerStats();
        if (!config.IsCompacted)
        {
            return stats;
        }

        var closed = log.Snapshot.Segments[..^1];
        if (closed.Length == 0)
        {
            return stats;
        }

        var started = environment.Time.GetTimestamp();
        var now = environment.NowMs;
        var maxDecompressed = Log.MaxDecompressedBytes(config);
        var newest = new Dictionary<UInt128, long>();
        foreach (var segment in closed)
        {
            ForEachBatch(segment, (batch, header) =>
            {
                stats.BytesRead += header.TotalSize;
                if (header.IsControl || RecordBatchReader.TryOpen(batch, maxDecompressed, out var reader) != RecordBatchError.None)
                {
                    return;
                }

                using (reader)
                {
                    foreach (var record in reader)
                    {
                        if (!record.IsKeyNull)
                        {
                            newest[HashKey(record.Key)] = record.Offset;
                        }
                    }
                }
            });
            Throttle(started, stats.BytesRead);
        }

        foreach (var segment in closed)
        {
            var cleanedPath = LogFileNames.LogFile(segment.Directory, segment.BaseOffset) + LogFileNames.CleanedSuffix;
            var changed = false;
            long written = 0;
            using (var output = File.OpenHandle(cleanedPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                var buffer = new ArrayBufferWriter<byte>();
                ForEachBatch(segment, (batch, header) =>
                {
                    stats.BytesRead += header.TotalSize;
                    buffer.ResetWrittenCount();
                    var kept = CleanBatch(batch, header, newest, now, config, maxDecompressed, buffer, stats);
                    changed |= !kept.SequenceEqual(batch);
                    if (!kept.IsEmpty)
                    {
                        environment.Write(output, cleanedPath, kept, written);
                        written += kept.Length;
                    }
                });
                if (changed)
                {
                    environment.Fsync(output, cleanedPath);
                }
            }

            Throttle(started, stats.BytesRead);
            if (!changed)
            {
                File.Delete(cleanedPath);
                continue;
            }

            if (log.ReplaceSegment(segment, cleanedPath))
            {
                stats.SegmentsCleaned++;
                stats.BytesBefore += segment.Size;
                stats.BytesAfter += written;
            }
        }

        return stats;
    }

    /// <summary>The bytes to keep for one batch: the batch itself, a rebuilt smaller batch, or nothing.</summary>
    private static ReadOnlySpan<byte> CleanBatch(
        ReadOnlySpan<byte> batch, RecordBatchHeader header, Dictionary<UInt128, long> newest, long now, LogConfig config,
        int maxDecompressed, ArrayBufferWriter<byte> output, CleanerStats stats)
    {
        if (header.IsControl || header.IsTransactional || now - header.MaxTimestamp < config.MinCompactionLagMs)
        {
            return batch;
        }

        if (RecordBatchReader.TryOpen(batch, maxDecompressed, out var reader) != RecordBatchError.None)
        {
            return batch;
        }

        using (reader)
        {
            var tombstonesExpired = now - header.MaxTimestamp > config.DeleteRetentionMs;
            var records = reader.Records;
            var area = new ArrayBufferWriter<byte>(records.Length);
            int position = 0, kept = 0, total = 0;
            foreach (var record in reader)
            {
                total++;
                var raw = records.Slice(position, record.SizeInBytes);
                position += record.SizeInBytes;
                var keep = record.IsKeyNull
                    || (newest.TryGetValue(HashKey(record.Key), out var newestOffset) && record.Offset >= newestOffset
                        && !(record.IsValueNull && tombstonesExpired));
                if (keep)
                {
                    area.Write(raw);
                    kept++;
                }
                else
                {
                    stats.RecordsRemoved++;
                }
            }

            if (total != header.RecordCount || position != records.Length)
            {
                stats.RecordsRemoved -= total - kept;
                return batch; // malformed records: leave the batch as it is
            }

            if (kept == total)
            {
                return batch;
            }

            if (kept == 0)
            {
                return [];
            }

            // Same header (base offset, last offset delta, timestamps, producer fields), new count, length and CRC.
            var headerSpan = output.GetSpan(RecordBatchLayout.HeaderSize)[..RecordBatchLayout.HeaderSize];
            batch[..RecordBatchLayout.HeaderSize].CopyTo(headerSpan);
            output.Advance(RecordBatchLayout.HeaderSize);
            if (CompressionCodecs.Get(header.Compression) is { } codec)
            {
                codec.Compress(area.WrittenSpan, output);
            }
            else
            {
                output.Write(area.WrittenSpan);
            }

            var rebuilt = output.WrittenMemory.Span;
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span;
            BinaryPrimitives.WriteInt32BigEndian(bytes[RecordBatchLayout.LengthOffset..], rebuilt.Length - RecordBatchLayout.LogOverhead);
            BinaryPrimitives.WriteInt32BigEndian(bytes[RecordBatchLayout.RecordCountOffset..], kept);
            BinaryPrimitives.WriteUInt32BigEndian(bytes[RecordBatchLayout.CrcOffset..], Crc32C.Compute(bytes[RecordBatchLayout.AttributesOffset..]));
            return rebuilt;
        }
    }

    private delegate void BatchAction(ReadOnlySpan<byte> batch, RecordBatchHeader header);

    private static void ForEachBatch(LogSegment segment, BatchAction action)
    {
        var size = segment.Size;
        long position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            Span<byte> headerBytes = stackalloc byte[RecordBatchLayout.HeaderSize];
            while (position < size && segment.TryReadHeader(position, headerBytes, out var header))
            {
                if (header.TotalSize > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(header.TotalSize);
                }

                var batch = buffer.AsSpan(0, header.TotalSize);
                segment.ReadExactly(batch, position);
                action(batch, header);
                position += header.TotalSize;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static UInt128 HashKey(ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(key, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    private void Throttle(long startedTimestamp, long bytes)
    {
        if (double.IsPositiveInfinity(MaxBytesPerSecond) || MaxBytesPerSecond >= double.MaxValue || MaxBytesPerSecond <= 0)
        {
            return;
        }

        var elapsed = environment.Time.GetElapsedTime(startedTimestamp);
        var due = TimeSpan.FromSeconds(bytes / MaxBytesPerSecond);
        if (due > elapsed)
        {
            Task.Delay(due - elapsed, environment.Time).Wait();
        }
    }
}

/// <summary>What one cleaning pass did.</summary>
public sealed class CleanerStats
{
    public int SegmentsCleaned { get; set; }

    public long RecordsRemoved { get; set; }

    public long BytesRead { get; set; }

    public long BytesBefore { get; set; }

    public long BytesAfter { get; set; }

    internal void Log(ILogger logger, TopicPartition partition) =>
        logger.LogInformation("{Partition}: cleaner pass compacted {Segments} segment(s), removed {Records} record(s), {Before} -> {After} bytes", partition, SegmentsCleaned, RecordsRemoved, BytesBefore, BytesAfter);
}
