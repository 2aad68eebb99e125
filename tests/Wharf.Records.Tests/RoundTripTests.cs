using System.Text;

namespace Wharf.Records.Tests;

public class RoundTripTests
{
    public static TheoryData<CompressionType> Codecs => new(TestBatches.AllCodecs);

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Build_ThenValidateAndIterate_ReturnsEveryRecordAsWritten(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(compression)
        {
            BaseOffset = 100,
            ProducerId = 7,
            ProducerEpoch = 3,
            BaseSequence = 42,
        };
        builder.Append(1_000, Bytes("k0"), Bytes("v0"));
        builder.Append(1_005, null, Bytes("no key"), new RecordHeaderEntry("trace", Bytes("abc")), new RecordHeaderEntry("empty", null));
        builder.Append(999, Bytes("deleted"), null);
        builder.Append(1_010, Array.Empty<byte>(), Array.Empty<byte>());
        var batch = builder.ToArray();

        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 1 << 20, out var header));
        Assert.Equal(compression, header.Compression);
        Assert.Equal(100, header.BaseOffset);
        Assert.Equal(4, header.RecordCount);
        Assert.Equal(3, header.LastOffsetDelta);
        Assert.Equal(1_000, header.BaseTimestamp);
        Assert.Equal(1_010, header.MaxTimestamp);
        Assert.Equal(7, header.ProducerId);
        Assert.Equal((short)3, header.ProducerEpoch);
        Assert.Equal(42, header.BaseSequence);
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.ValidateProducerBatch(header));

        Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, 1 << 20, out var reader));
        using (reader)
        {
            var enumerator = reader.GetEnumerator();

            Assert.True(enumerator.MoveNext());
            var r = enumerator.Current;
            Assert.Equal(100, r.Offset);
            Assert.Equal(1_000, r.Timestamp);
            Assert.Equal("k0", Text(r.Key));
            Assert.Equal("v0", Text(r.Value));
            Assert.Equal(0, r.Headers.Count);

            Assert.True(enumerator.MoveNext());
            r = enumerator.Current;
            Assert.Equal(101, r.Offset);
            Assert.Equal(1_005, r.Timestamp);
            Assert.True(r.IsKeyNull);
            Assert.Equal("no key", Text(r.Value));
            var headers = new List<(string, string?)>();
            foreach (var h in r.Headers)
            {
                headers.Add((Text(h.Key), h.IsValueNull ? null : Text(h.Value)));
            }

            Assert.Equal([("trace", "abc"), ("empty", null)], headers);

            Assert.True(enumerator.MoveNext());
            r = enumerator.Current;
            Assert.Equal(999, r.Timestamp);
            Assert.Equal(-1, r.TimestampDelta);
            Assert.Equal("deleted", Text(r.Key));
            Assert.True(r.IsValueNull);

            Assert.True(enumerator.MoveNext());
            r = enumerator.Current;
            Assert.False(r.IsKeyNull);
            Assert.False(r.IsValueNull);
            Assert.True(r.Key.IsEmpty && r.Value.IsEmpty);

            Assert.False(enumerator.MoveNext());
            Assert.Equal(RecordBatchError.None, enumerator.Error);
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Build_ForSeededRandomRecords_RoundTripsEveryField(CompressionType compression)
    {
        const int seed = 4242;
        var random = new Random(seed + (int)compression);
        for (var round = 0; round < 40; round++)
        {
            var expected = new List<(long Timestamp, byte[]? Key, byte[]? Value, RecordHeaderEntry[] Headers)>();
            var builder = new RecordBatchBuilder(compression) { BaseOffset = random.NextInt64(0, 1L << 40) };
            var count = random.Next(1, 60);
            for (var i = 0; i < count; i++)
            {
                var timestamp = 1_700_000_000_000 + random.Next(-10_000, 10_000);
                var key = random.Next(4) == 0 ? null : RandomBytes(random, random.Next(0, 40));
                var value = random.Next(5) == 0 ? null : RandomBytes(random, random.Next(0, random.Next(2) == 0 ? 50 : 3000));
                var headers = Enumerable.Range(0, random.Next(0, 4))
                    .Select(h => new RecordHeaderEntry($"h{h}-é", random.Next(3) == 0 ? null : RandomBytes(random, random.Next(0, 20))))
                    .ToArray();
                builder.Append(timestamp, key, value, headers);
                expected.Add((timestamp, key, value, headers));
            }

            var batch = builder.ToArray();
            var error = RecordBatchValidator.Validate(batch, 1 << 20, out var header);
            Assert.True(error == RecordBatchError.None, $"{error} in round {round}, seed {seed}");
            Assert.Equal(expected.Max(e => e.Timestamp), header.MaxTimestamp);

            Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, 1 << 20, out var reader));
            using (reader)
            {
                var i = 0;
                foreach (var record in reader)
                {
                    var (timestamp, key, value, headers) = expected[i];
                    var where = $"record {i}, round {round}, seed {seed}";
                    Assert.True(record.Offset == header.BaseOffset + i, where);
                    Assert.True(record.Timestamp == timestamp, where);
                    Assert.True(record.IsKeyNull == (key is null) && record.Key.SequenceEqual(key ?? []), where);
                    Assert.True(record.IsValueNull == (value is null) && record.Value.SequenceEqual(value ?? []), where);
                    Assert.True(record.Headers.Count == headers.Length, where);
                    var h = 0;
                    foreach (var actual in record.Headers)
                    {
                        Assert.True(Text(actual.Key) == headers[h].Key, where);
                        Assert.True(actual.IsValueNull == (headers[h].Value is null), where);
                        Assert.True(actual.Value.SequenceEqual(headers[h].Value is { } v ? v.Span : default), where);
                        h++;
                    }

                    i++;
                }

                Assert.Equal(count, i);
            }
        }
    }

    [Fact]
    public void TryOpen_WithACallerBuffer_DecompressesIntoIt()
    {
        var batch = new RecordBatchBuilder(CompressionType.Zstd).Append(5, Bytes("k"), Bytes("v")).ToArray();
        var buffer = new byte[1024];
        Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, buffer, out var reader));
        Assert.True(reader.Records.Overlaps(buffer));
        foreach (var record in reader)
        {
            Assert.Equal("v", Text(record.Value));
        }
    }

    [Fact]
    public void TryOpen_WithACallerBufferTooSmall_ReportsDecompressedSizeExceeded()
    {
        var batch = new RecordBatchBuilder(CompressionType.Gzip).Append(5, Bytes("k"), new byte[500]).ToArray();
        Assert.Equal(RecordBatchError.DecompressedSizeExceeded, RecordBatchReader.TryOpen(batch, new byte[100], out _));
    }

    [Fact]
    public void Iterate_ALogAppendTimeBatch_ReportsMaxTimestampForEveryRecord()
    {
        var builder = new RecordBatchBuilder { TimestampType = TimestampType.LogAppendTime };
        builder.Append(10, null, Bytes("a")).Append(30, null, Bytes("b"));
        var batch = builder.ToArray();
        Assert.Equal(RecordBatchError.None, RecordBatchReader.TryOpen(batch, 0, out var reader));
        foreach (var record in reader)
        {
            Assert.Equal(30, record.Timestamp);
        }
    }

    [Fact]
    public void Build_WithNoRecords_IsAValidEmptyBatch()
    {
        var batch = new RecordBatchBuilder().ToArray();
        Assert.Equal(RecordBatchLayout.HeaderSize, batch.Length);
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 0, out var header));
        Assert.Equal(0, header.RecordCount);
        Assert.Equal(RecordBatchError.InvalidOffsetRange, RecordBatchValidator.ValidateProducerBatch(header));
    }

    [Fact]
    public void Reset_ThenAppend_StartsANewBatch()
    {
        var builder = new RecordBatchBuilder();
        builder.Append(1, null, Bytes("old"));
        builder.Reset();
        builder.Append(2, null, Bytes("new"));
        var batch = builder.ToArray();
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 0, out var header));
        Assert.Equal(1, header.RecordCount);
        Assert.Equal(2, header.BaseTimestamp);
    }

    [Fact]
    public void StampOffsetAndEpoch_AfterBuild_KeepsTheBatchValid()
    {
        var batch = new RecordBatchBuilder(CompressionType.Lz4).Append(1, null, Bytes("x")).ToArray();
        RecordBatchHeader.StampOffsetAndEpoch(batch, 123_456, 9);
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(batch, 1024, out var header));
        Assert.Equal(123_456, header.BaseOffset);
        Assert.Equal(9, header.PartitionLeaderEpoch);
    }

    [Fact]
    public void Enumerate_ARawRecordArea_WorksWithoutABatch()
    {
        var area = TestBatches.RecordArea(3);
        var count = 0;
        var enumerator = new RecordEnumerator(area, 3, baseOffset: 10);
        foreach (var record in enumerator)
        {
            Assert.Equal(10 + count, record.Offset);
            count++;
        }

        Assert.Equal(3, count);
    }

    internal static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        if (random.Next(2) == 0)
        {
            random.NextBytes(bytes);
        }
        else
        {
            Array.Fill(bytes, (byte)random.Next(4)); // compressible
        }

        return bytes;
    }
}
