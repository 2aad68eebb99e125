using System.Buffers;
using System.Buffers.Binary;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Benchmarks.HotPath;

/// <summary>
/// The broker's per-request hot path, one operation per method, as the handlers run it: request header decode;
/// Produce frame decode → batch validation in the frame (1 MiB batch of 1 KiB records, as ProduceHandler does);
/// leader append of that batch (interval flush mode); log read of 1 MiB into a pooled
/// buffer (FetchHandler's read); Fetch response encode with 1 MiB of records into a pooled buffer writer.
/// Shared by the BenchmarkDotNet benchmarks and the allocation-budget tests, so both measure the same code.
/// Thread-safety: one caller at a time (buffers are reused).
/// </summary>
public sealed class HotPathOperations : IDisposable
{
    public const short ProduceVersion = 9;
    public const short FetchVersion = 12;
    private const string Topic = "bench";

    private readonly ReadOnlySequence<byte> _produceFrame;
    private readonly ReadOnlyMemory<byte> _produceFrameMemory;
    private readonly byte[] _records;
    private readonly byte[] _appendBuffer;
    private readonly PooledBufferWriter _output = new(2 << 20);
    private readonly string _directory;
    private readonly Log _log;

    public HotPathOperations()
    {
        _records = BuildBatch();
        _appendBuffer = (byte[])_records.Clone();
        var frame = BuildProduceFrame(_records);
        _produceFrameMemory = frame;
        _produceFrame = new ReadOnlySequence<byte>(frame);
        _directory = Path.Combine(Path.GetTempPath(), $"wharf-hotpath-{Guid.NewGuid():N}");
        _log = Log.Open(Path.Combine(_directory, $"{Topic}-0"), new TopicPartition(Topic, 0), new LogConfig { FlushMode = LogFlushMode.Interval }, new LogEnvironment());
        for (var i = 0; i < 4; i++)
        {
            Append();
        }
    }

    /// <summary>Bytes of the record batch every operation carries (≈ 1 MiB).</summary>
    public int RecordBytes => _records.Length;

    /// <summary>Request header v2 (Produce v9, client id "rdkafka").</summary>
    public int DecodeRequestHeader()
    {
        var reader = new KafkaReader(_produceFrameMemory);
        return RequestHeader.Read(ref reader, 2).CorrelationId;
    }

    /// <summary>Produce v9 frame → header + body → header, CRC-32C and record walk of the partition's records where
    /// they lie in the frame (ProduceHandler's checks; it stamps the batch in place, no copy).</summary>
    public RecordBatchError DecodeAndValidateProduce()
    {
        var decoded = RequestDecoder.Decode(_produceFrame);
        var records = ((ProduceRequest)decoded.Body).TopicData[0].PartitionData[0].Records!.Value;
        var batch = records.First.Span;
        var error = RecordBatchValidator.ValidateHeader(batch, out var header);
        return error != RecordBatchError.None
            ? error
            : RecordBatchValidator.ValidateRecords(header, batch[RecordBatchLayout.RecordsOffset..]);
    }

    /// <summary>Leader append of the 1 MiB batch (interval flush mode: no fsync), its CRC already checked as the Produce
    /// path does; the log is truncated every 256 MiB.</summary>
    public long Append()
    {
        if (_log.LogEndOffset > 256L * 1024)
        {
            _log.TruncateTo(_log.LogStartOffset);
        }

        return _log.AppendAsLeader(_appendBuffer, 0, crcVerified: true).FirstOffset;
    }

    /// <summary>Log read of one 1 MiB batch from the page cache into a pooled buffer (FetchHandler's read).</summary>
    public int ReadFromLog()
    {
        var result = _log.Read(_log.LogStartOffset, 1 << 20, _log.LogEndOffset, minOneBatch: true);
        using var pooled = result.Slice.ReadPooled();
        return pooled.Length;
    }

    /// <summary>Fetch v12 response for one partition with 1 MiB of records: size, header and body written
    /// through <see cref="KafkaWriter"/> into a reused pooled buffer writer.</summary>
    public int EncodeFetchResponse()
    {
        var response = new FetchResponse();
        var topic = new FetchResponse.FetchableTopicResponse { Topic = Topic };
        topic.Partitions.Add(new FetchResponse.PartitionData
        {
            PartitionIndex = 0,
            HighWatermark = 1_000_000,
            LastStableOffset = 1_000_000,
            LogStartOffset = 0,
            AbortedTransactions = null,
            Records = new ReadOnlySequence<byte>(_records),
        });
        response.Responses.Add(topic);
        var header = new ResponseHeader { CorrelationId = 42 };
        var headerVersion = ApiCatalog.Find(ApiKey.Fetch)!.ResponseHeaderVersion(FetchVersion);
        _output.Reset();
        var size = header.ComputeSize(headerVersion) + response.ComputeSize(FetchVersion);
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), size);
        _output.Advance(4);
        var writer = new KafkaWriter(_output);
        header.Write(ref writer, headerVersion);
        response.Write(ref writer, FetchVersion);
        writer.Flush();
        return _output.WrittenCount;
    }

    public void Dispose()
    {
        _log.Dispose();
        _output.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A 1 MiB uncompressed v2 batch of ~1,000 records with 1000-byte values and 4-byte keys.</summary>
    private static byte[] BuildBatch()
    {
        var random = new Random(1);
        var builder = new RecordBatchBuilder();
        var value = new byte[1000];
        random.NextBytes(value);
        while (builder.UncompressedRecordBytes < (1 << 20) - 1100)
        {
            builder.Append(1_700_000_000_000, [1, 2, 3, 4], value);
        }

        return builder.ToArray();
    }

    /// <summary>A Produce v9 request frame (everything after the 4-byte size) as librdkafka sends it: acks=-1.</summary>
    private static byte[] BuildProduceFrame(byte[] records)
    {
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 30_000 };
        var topic = new ProduceRequest.TopicProduceData { Name = Topic };
        topic.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = 0, Records = new ReadOnlySequence<byte>(records) });
        request.TopicData.Add(topic);
        var header = new RequestHeader { ApiKey = ApiKey.Produce, ApiVersion = ProduceVersion, CorrelationId = 7, ClientId = "rdkafka" };
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        header.Write(ref writer, 2);
        request.Write(ref writer, ProduceVersion);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
