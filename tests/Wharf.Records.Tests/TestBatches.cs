using System.Buffers;
using System.Text;
using Wharf.Common;
using Wharf.Records.Compression;

namespace Wharf.Records.Tests;

/// <summary>Hand-made batches and record bytes for tests that need exact control over every field.</summary>
internal static class TestBatches
{
    public static readonly CompressionType[] AllCodecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static RecordBatchHeader Header(int recordCount, int lastOffsetDelta, CompressionType compression = CompressionType.None, short extraAttributes = 0) => new(
        BaseOffset: 0,
        BatchLength: 0,
        PartitionLeaderEpoch: -1,
        Magic: 2,
        Crc: 0,
        Attributes: (short)((int)compression | (ushort)extraAttributes),
        LastOffsetDelta: lastOffsetDelta,
        BaseTimestamp: 1_700_000_000_000,
        MaxTimestamp: 1_700_000_000_000,
        ProducerId: -1,
        ProducerEpoch: -1,
        BaseSequence: -1,
        RecordCount: recordCount);

    /// <summary>A batch around <paramref name="records"/>, compressed with the header's codec, with a correct CRC.</summary>
    public static byte[] Batch(in RecordBatchHeader header, ReadOnlySpan<byte> records, bool alreadyCompressed = false)
    {
        ReadOnlySpan<byte> blob = records;
        if (header.Compression != CompressionType.None && !alreadyCompressed)
        {
            var compressed = new ArrayBufferWriter<byte>();
            CompressionCodecs.Get(header.Compression)!.Compress(records, compressed);
            blob = compressed.WrittenSpan;
        }

        var output = new ArrayBufferWriter<byte>();
        RecordBatchWriter.Write(output, header, blob);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Batch(int recordCount, int lastOffsetDelta, ReadOnlySpan<byte> records, CompressionType compression = CompressionType.None) =>
        Batch(Header(recordCount, lastOffsetDelta, compression), records);

    /// <summary>A record whose body is given verbatim, prefixed by its length (or by <paramref name="lengthOverride"/>).</summary>
    public static byte[] RawRecord(byte[] body, int? lengthOverride = null)
    {
        var buffer = new byte[5 + body.Length];
        var n = Varint.WriteVarint(buffer, lengthOverride ?? body.Length);
        body.CopyTo(buffer, n);
        return buffer[..(n + body.Length)];
    }

    /// <summary>A well-formed record body.</summary>
    public static byte[] Body(int offsetDelta, byte[]? key, byte[]? value, params (string Key, byte[]? Value)[] headers)
    {
        var parts = new List<byte> { 0 };
        parts.AddRange(Varlong(0));
        parts.AddRange(VarintBytes(offsetDelta));
        AddBytes(parts, key);
        AddBytes(parts, value);
        parts.AddRange(VarintBytes(headers.Length));
        foreach (var (headerKey, headerValue) in headers)
        {
            AddBytes(parts, Encoding.UTF8.GetBytes(headerKey));
            AddBytes(parts, headerValue);
        }

        return [.. parts];
    }

    public static byte[] Record(int offsetDelta, byte[]? key = null, byte[]? value = null) => RawRecord(Body(offsetDelta, key, value));

    /// <summary>Well-formed records with offset deltas 0..count-1.</summary>
    public static byte[] RecordArea(int count, int valueSize = 10)
    {
        var all = new List<byte>();
        for (var i = 0; i < count; i++)
        {
            all.AddRange(Record(i, [(byte)i], new byte[valueSize]));
        }

        return [.. all];
    }

    public static byte[] VarintBytes(int value)
    {
        var buffer = new byte[5];
        return buffer[..Varint.WriteVarint(buffer, value)];
    }

    public static byte[] Varlong(long value)
    {
        var buffer = new byte[10];
        return buffer[..Varint.WriteVarlong(buffer, value)];
    }

    private static void AddBytes(List<byte> parts, byte[]? bytes)
    {
        parts.AddRange(VarintBytes(bytes?.Length ?? -1));
        if (bytes is not null)
        {
            parts.AddRange(bytes);
        }
    }
}
