using System.Buffers.Binary;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>
/// A minimal reader of the records inside an <b>uncompressed</b> v2 batch, for the few storage jobs that need
/// record fields: compaction (key, null value) and exact timestamp lookups. Each record is
/// <c>length varint | attributes int8 | timestamp_delta varlong | offset_delta varint | key_length varint | key |
/// value_length varint | value | header_count varint | headers</c>, varints zig-zag encoded. Compressed batches
/// are not decoded here (see docs/storage.md, "gaps"). Thread-safety: stateless.
/// </summary>
internal static class RecordWalker
{
    /// <summary>One record's location and fields, relative to the start of the batch.</summary>
    internal readonly record struct RecordView(int Start, int Length, long TimestampDelta, int OffsetDelta, int KeyStart, int KeyLength, int ValueLength)
    {
        public bool IsTombstone => ValueLength < 0;
    }

    /// <summary>
    /// Walks the records of <paramref name="batch"/> (a whole, validated batch). Returns false if a record is
    /// malformed or the batch is compressed; records read so far are already in <paramref name="records"/>.
    /// </summary>
    public static bool TryReadAll(ReadOnlySpan<byte> batch, in RecordBatchHeader header, List<RecordView> records)
    {
        records.Clear();
        if (header.Compression != CompressionType.None)
        {
            return false;
        }

        var position = RecordBatchLayout.RecordsOffset;
        for (var i = 0; i < header.RecordCount; i++)
        {
            if (!TryReadRecord(batch, ref position, out var record))
            {
                return false;
            }

            records.Add(record);
        }

        return position == batch.Length;
    }

    private static bool TryReadRecord(ReadOnlySpan<byte> batch, ref int position, out RecordView record)
    {
        record = default;
        var start = position;
        if (!TryReadVarLong(batch, ref position, out var length) || length < 0 || position + length > batch.Length)
        {
            return false;
        }

        var end = position + (int)length;
        var body = batch[..end];
        position++; // attributes
        if (!TryReadVarLong(body, ref position, out var timestampDelta)
            || !TryReadVarLong(body, ref position, out var offsetDelta)
            || !TryReadVarLong(body, ref position, out var keyLength) || keyLength < -1 || position + keyLength > end)
        {
            return false;
        }

        var keyStart = position;
        position += (int)Math.Max(keyLength, 0);
        if (!TryReadVarLong(body, ref position, out var valueLength) || valueLength < -1 || position + valueLength > end)
        {
            return false;
        }

        record = new RecordView(start, end - start, timestampDelta, (int)offsetDelta, keyStart, (int)keyLength, (int)valueLength);
        position = end;
        return true;
    }

    private static bool TryReadVarLong(ReadOnlySpan<byte> data, ref int position, out long value)
    {
        ulong raw = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length)
            {
                value = 0;
                return false;
            }

            var b = data[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>Writes a zig-zag varint; returns bytes written.</summary>
    public static int WriteVarLong(Span<byte> destination, long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var i = 0;
        while (raw >= 0x80)
        {
            destination[i++] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        destination[i++] = (byte)raw;
        return i;
    }

    /// <summary>Reads the big-endian int32 record count of a batch.</summary>
    public static int RecordCount(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchLayout.RecordCountOffset..]);
}
