using System.Buffers;
using Wharf.Records;

namespace Wharf.Storage;

public sealed partial class Log
{
    /// <summary>ListOffsets special timestamp: the log start offset.</summary>
    public const long EarliestTimestamp = -2;

    /// <summary>ListOffsets special timestamp: the log end offset.</summary>
    public const long LatestTimestamp = -1;

    /// <summary>ListOffsets special timestamp (KIP-734): the record with the largest timestamp.</summary>
    public const long MaxTimestampQuery = -3;

    /// <summary>
    /// ListOffsets: for a timestamp ≥ 0, the first record (at or after the log start) whose timestamp is ≥ it, or
    /// null when none is; for <see cref="EarliestTimestamp"/> / <see cref="LatestTimestamp"/> the log start / end
    /// (timestamp -1); for <see cref="MaxTimestampQuery"/> the first record with the largest timestamp. Lock-free.
    /// Compressed batches are decompressed (bounded) to find the exact record.
    /// </summary>
    public TimestampAndOffset? FetchOffsetByTimestamp(long timestamp)
    {
        var snapshot = _snapshot;
        switch (timestamp)
        {
            case EarliestTimestamp:
                return new TimestampAndOffset(-1, snapshot.StartOffset, EpochForOffset(snapshot.StartOffset));
            case LatestTimestamp:
                return new TimestampAndOffset(-1, snapshot.EndOffset, LeaderEpochCache.LatestEpoch);
            case MaxTimestampQuery:
                return FindMaxTimestamp(snapshot);
            case < 0:
                throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "Unknown special timestamp.");
        }

        var segments = snapshot.Segments;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.MaxTimestamp < timestamp)
            {
                continue;
            }

            var scanFrom = (long)segment.OffsetIndex.Lookup(Math.Max(segment.TimeIndex.LookupScanStart(timestamp), snapshot.StartOffset)).Position;
            var end = snapshot.SizeOf(i);
            var startOffset = snapshot.StartOffset;
            while (scanFrom >= 0)
            {
                var position = segment.ScanForBatch(scanFrom, end, h => h.MaxTimestamp >= timestamp && h.LastOffset >= startOffset, out var header);
                if (position < 0)
                {
                    break;
                }

                if (FindRecord(segment, position, header, startOffset, ts => ts >= timestamp) is { } found)
                {
                    return found;
                }

                scanFrom = position + header.TotalSize;
            }
        }

        return null;
    }

    /// <summary>Decompression bound for reading stored batches: a generous multiple of <c>max.message.bytes</c>.</summary>
    internal static int MaxDecompressedBytes(LogConfig config) => (int)Math.Min(int.MaxValue - 64, Math.Max(config.MaxMessageBytes, 1 << 20) * 16L);

    /// <summary>The leader epoch that wrote <paramref name="offset"/>, or -1 when unknown.</summary>
    public int EpochForOffset(long offset)
    {
        var epoch = LeaderEpochCache.UndefinedEpoch;
        foreach (var entry in LeaderEpochCache.Entries)
        {
            if (entry.StartOffset > offset)
            {
                break;
            }

            epoch = entry.Epoch;
        }

        return epoch;
    }

    private TimestampAndOffset? FindMaxTimestamp(LogSnapshot snapshot)
    {
        var segments = snapshot.Segments;
        var best = -1;
        for (var i = 0; i < segments.Length; i++)
        {
            if (snapshot.SizeOf(i) > 0 && (best < 0 || segments[i].MaxTimestamp > segments[best].MaxTimestamp))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return null;
        }

        var segment = segments[best];
        var max = segment.MaxTimestamp;
        var position = segment.ScanForBatch(0, snapshot.SizeOf(best), h => h.MaxTimestamp == max && h.LastOffset >= snapshot.StartOffset, out var header);
        return position < 0 ? null : FindRecord(segment, position, header, snapshot.StartOffset, ts => ts == max);
    }

    /// <summary>The first record of the batch at <paramref name="position"/> at or after <paramref name="startOffset"/> whose timestamp matches.</summary>
    private TimestampAndOffset? FindRecord(LogSegment segment, long position, RecordBatchHeader header, long startOffset, Func<long, bool> match)
    {
        if (header.TimestampType == TimestampType.LogAppendTime || header.IsControl)
        {
            var offset = Math.Max(header.BaseOffset, startOffset);
            return match(header.MaxTimestamp) ? new TimestampAndOffset(header.MaxTimestamp, offset, header.PartitionLeaderEpoch) : null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(header.TotalSize);
        try
        {
            var batch = buffer.AsSpan(0, header.TotalSize);
            segment.ReadExactly(batch, position);
            if (RecordBatchReader.TryOpen(batch, MaxDecompressedBytes(_config), out var reader) != RecordBatchError.None)
            {
                return null;
            }

            using (reader)
            {
                foreach (var record in reader)
                {
                    if (record.Offset >= startOffset && match(record.Timestamp))
                    {
                        return new TimestampAndOffset(record.Timestamp, record.Offset, header.PartitionLeaderEpoch);
                    }
                }
            }

            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
