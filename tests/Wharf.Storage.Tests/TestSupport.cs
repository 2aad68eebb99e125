using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage.Tests;

/// <summary>One record for <see cref="Batches.Build"/>: a null value is a tombstone.</summary>
internal sealed record TestRecord(byte[]? Key, byte[]? Value, long Timestamp);

/// <summary>Builds valid uncompressed RecordBatch v2 bytes for tests (varint records, CRC-32C over bytes 21..end).</summary>
internal static class Batches
{
    public static byte[] Build(IReadOnlyList<TestRecord> records, long baseOffset = 0, bool control = false, bool transactional = false, long producerId = -1)
    {
        var baseTimestamp = records.Count > 0 ? records.Min(r => r.Timestamp) : 0;
        var body = new List<byte>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = new List<byte> { 0 };
            WriteVarLong(record, records[i].Timestamp - baseTimestamp);
            WriteVarLong(record, i);
            WriteBytes(record, records[i].Key);
            WriteBytes(record, records[i].Value);
            WriteVarLong(record, 0);
            WriteVarLong(body, record.Count);
            body.AddRange(record);
        }

        var batch = new byte[RecordBatchLayout.HeaderSize + body.Count];
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatchLayout.BaseOffsetOffset), baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.LengthOffset), batch.Length - RecordBatchLayout.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.PartitionLeaderEpochOffset), -1);
        batch[RecordBatchLayout.MagicOffset] = 2;
        short attributes = (short)((transactional ? 0x10 : 0) | (control ? 0x20 : 0));
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchLayout.AttributesOffset), attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.LastOffsetDeltaOffset), Math.Max(records.Count - 1, 0));
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatchLayout.BaseTimestampOffset), baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatchLayout.MaxTimestampOffset), records.Count > 0 ? records.Max(r => r.Timestamp) : 0);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatchLayout.ProducerIdOffset), producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchLayout.ProducerEpochOffset), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.BaseSequenceOffset), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.RecordCountOffset), records.Count);
        body.CopyTo(batch, RecordBatchLayout.RecordsOffset);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchLayout.CrcOffset), Crc32C.Compute(batch.AsSpan(RecordBatchLayout.AttributesOffset)));
        return batch;
    }

    /// <summary>A batch of <paramref name="count"/> records with values of <paramref name="valueSize"/> seeded bytes.</summary>
    public static byte[] Values(int count, int valueSize, long timestamp, Random random, string? keyPrefix = null)
    {
        var records = new List<TestRecord>();
        for (var i = 0; i < count; i++)
        {
            var value = new byte[valueSize];
            random.NextBytes(value);
            records.Add(new TestRecord(keyPrefix is null ? null : System.Text.Encoding.UTF8.GetBytes($"{keyPrefix}{i}"), value, timestamp + i));
        }

        return Build(records);
    }

    public static byte[] Keyed(string key, string? value, long timestamp) =>
        Build([new TestRecord(System.Text.Encoding.UTF8.GetBytes(key), value is null ? null : System.Text.Encoding.UTF8.GetBytes(value), timestamp)]);

    public static byte[] Concat(params byte[][] batches) => [.. batches.SelectMany(b => b)];

    /// <summary>Splits bytes into batches, checking each (size, magic, CRC) — a reader's view of a fetch.</summary>
    public static List<(RecordBatchHeader Header, byte[] Bytes)> Parse(ReadOnlySpan<byte> bytes)
    {
        var result = new List<(RecordBatchHeader, byte[])>();
        var position = 0;
        while (position < bytes.Length)
        {
            var error = RecordBatchValidator.ValidateHeader(bytes[position..], out var header);
            Assert.Equal(RecordBatchError.None, error);
            result.Add((header, bytes.Slice(position, header.TotalSize).ToArray()));
            position += header.TotalSize;
        }

        return result;
    }

    /// <summary>The (key, value) records of an uncompressed or compressed batch.</summary>
    public static List<(long Offset, string? Key, string? Value)> Records(byte[] batch)
    {
        var list = new List<(long, string?, string?)>();
        Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, 1 << 24, out var reader));
        using (reader)
        {
            foreach (var record in reader)
            {
                list.Add((record.Offset,
                    record.IsKeyNull ? null : System.Text.Encoding.UTF8.GetString(record.Key),
                    record.IsValueNull ? null : System.Text.Encoding.UTF8.GetString(record.Value)));
            }
        }

        return list;
    }

    private static void WriteBytes(List<byte> output, byte[]? bytes)
    {
        if (bytes is null)
        {
            WriteVarLong(output, -1);
            return;
        }

        WriteVarLong(output, bytes.Length);
        output.AddRange(bytes);
    }

    private static void WriteVarLong(List<byte> output, long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            output.Add((byte)(raw | 0x80));
            raw >>= 7;
        }

        output.Add((byte)raw);
    }
}

/// <summary>A fresh directory under the temp dir, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wharf-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Shared setup: a partition directory, a fake clock, an fsync counter, and helpers to open and crash logs.</summary>
internal sealed class LogHarness : IDisposable
{
    public static readonly TopicPartition Partition = new("orders", 0);
    private int _fsyncs;

    public LogHarness(LogConfig? config = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        // Removed segments are deleted at once unless a test asks for file.delete.delay.ms itself.
        Config = (config ?? new LogConfig { FlushMode = LogFlushMode.Interval }) with { FileDeleteDelayMs = 0 };
        Environment = new LogEnvironment(Time, null, _ => Interlocked.Increment(ref _fsyncs));
        Directory = Temp.Combine(Partition.ToString());
    }

    public TempDirectory Temp { get; } = new();

    public FakeTimeProvider Time { get; }

    public LogConfig Config { get; set; }

    public LogEnvironment Environment { get; }

    public string Directory { get; }

    public int Fsyncs => Volatile.Read(ref _fsyncs);

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public Log Open(LogLoadOptions? options = null) => Log.Open(Directory, Partition, Config, Environment, options);

    /// <summary>Simulates kill -9: the handles are dropped without flush, index files or trimming.</summary>
    public static LogLoadOptions Crash(Log log)
    {
        var options = new LogLoadOptions(HadCleanShutdown: false, RecoveryPoint: log.RecoveryPoint, LogStartOffset: log.LogStartOffset);
        log.CloseWithoutFlush();
        return options;
    }

    /// <summary>Reads the whole log from its start, checking every batch; returns the batches.</summary>
    public static List<(RecordBatchHeader Header, byte[] Bytes)> ReadAll(Log log, int maxBytes = 1 << 20)
    {
        var result = new List<(RecordBatchHeader, byte[])>();
        var offset = log.LogStartOffset;
        while (offset < log.LogEndOffset)
        {
            var read = log.Read(offset, maxBytes);
            Assert.False(read.Slice.IsEmpty, $"empty read at {offset} below the log end {log.LogEndOffset}");
            var batches = Batches.Parse(read.Slice.ToArray());
            foreach (var batch in batches)
            {
                Assert.True(batch.Header.BaseOffset >= (result.Count == 0 ? 0 : result[^1].Item1.NextOffset), "offsets must increase");
                result.Add(batch);
            }

            offset = batches[^1].Header.NextOffset;
        }

        return result;
    }

    public string SegmentFile(long baseOffset, string suffix = LogFileNames.LogSuffix) =>
        System.IO.Path.Combine(Directory, LogFileNames.FileStem(baseOffset) + suffix);

    public void Dispose() => Temp.Dispose();
}
