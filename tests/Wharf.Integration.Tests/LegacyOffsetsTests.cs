using Confluent.Kafka;
using Wharf.Common;
using ErrorCode = Wharf.Common.ErrorCode;
using Wharf.Protocol.Messages;

namespace Wharf.Integration.Tests;

/// <summary>
/// OffsetCommit v0–1, OffsetFetch v0 and ListOffsets v0 — versions Kafka 4.0 dropped (KIP-896) that old clients such
/// as sarama 1.22 still send — as real frames over a real socket: each request is written byte by byte from the
/// protocol spec and each response read back the same way, so neither side goes through the generated codec.
/// </summary>
public sealed class LegacyOffsetsTests : IAsyncLifetime
{
    private const string Topic = "legacy-offsets";
    private InProcessBroker _broker = null!;
    private RawKafkaConnection _connection = null!;
    private int _correlationId = 1000;

    public async Task InitializeAsync()
    {
        _broker = await InProcessBroker.StartAsync();
        await _broker.CreateTopicAsync(Topic, partitions: 2);
        _connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task OffsetCommitV0_IsReadByOffsetFetchV0AndV7_AndAV2CommitIsReadByV0()
    {
        var commit = await ExchangeAsync(8, 0, new LegacyRequest()
            .String("group-v0")
            .Array([0, 1], (w, p) => w.String(Topic).Array([p], (w2, partition) => w2.Int32(partition).Int64(40 + partition).String($"meta-{partition}"))));
        Assert.Equal([(Topic, 0, (short)0), (Topic, 1, (short)0)], ReadCommitResponse(commit));

        Assert.Equal([(0, 40L, "meta-0", (short)0), (1, 41L, "meta-1", (short)0)], await FetchV0Async("group-v0", 0, 1));

        await _connection.SendAsync(new OffsetFetchRequest { GroupId = "group-v0", Topics = [new() { Name = Topic, PartitionIndexes = [0, 1] }] }, 7);
        var modern = await _connection.ReceiveAsync<OffsetFetchResponse>(7);
        Assert.Equal([(40L, "meta-0"), (41L, "meta-1")], modern.Topics.Single().Partitions.Select(p => (p.CommittedOffset, p.Metadata)));

        await _connection.SendAsync(NewCommit("group-v0", offset: 7, "from-v2"), 2);
        Assert.Equal(0, (await _connection.ReceiveAsync<OffsetCommitResponse>(2)).Topics.Single().Partitions.Single().ErrorCode);
        Assert.Equal([(0, 7L, "from-v2", (short)0)], await FetchV0Async("group-v0", 0));
    }

    [Fact]
    public async Task OffsetCommitV1_AsASimpleCommit_IsStored_AndWithAGenerationOfNoGroup_IsIllegalGeneration()
    {
        var simple = await ExchangeAsync(8, 1, new LegacyRequest()
            .String("group-v1").Int32(-1).String(string.Empty)
            .Array([Topic], (w, t) => w.String(t).Array([0], (w2, p) => w2.Int32(p).Int64(12).Int64(-1).String("v1"))));
        Assert.Equal([(Topic, 0, (short)0)], ReadCommitResponse(simple));
        Assert.Equal([(0, 12L, "v1", (short)0)], await FetchV0Async("group-v1", 0));

        var member = await ExchangeAsync(8, 1, new LegacyRequest()
            .String("group-v1-none").Int32(5).String("member-1")
            .Array([Topic], (w, t) => w.String(t).Array([0], (w2, p) => w2.Int32(p).Int64(12).Int64(1_700_000_000_000).String(null))));
        Assert.Equal([(Topic, 0, (short)ErrorCode.IllegalGeneration)], ReadCommitResponse(member));
    }

    [Fact]
    public async Task OffsetFetchV0_OfAPartitionWithoutACommit_IsMinusOneWithEmptyMetadata()
    {
        Assert.Equal([(1, -1L, string.Empty, (short)0)], await FetchV0Async("nobody", 1));
    }

    [Fact]
    public async Task ListOffsetsV0_AnswersOffsetArrays_NewestFirst_UpToMaxNumOffsets()
    {
        await _broker.CreateTopicAsync("legacy-list", 1, ("segment.bytes", "1024"));
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All, LingerMs = 0 }).Build())
        {
            for (var i = 0; i < 30; i++)
            {
                // One batch per record (each send awaited), 100+ bytes each: several 1 KiB segments.
                await producer.ProduceAsync("legacy-list", new Message<Null, string> { Value = new string('x', 100), Timestamp = new Timestamp(start.AddSeconds(i)) });
            }
        }

        var bases = _broker.Broker.Replicas.Logs.GetLog(new Wharf.Common.TopicPartition("legacy-list", 0))!.SegmentBaseOffsets;
        Assert.True(bases.Count >= 3, $"expected several segments, got {bases.Count}");
        long[] segmentsNewestFirst = [.. bases.Where(b => b < 30).OrderDescending()];

        Assert.Equal([30L], await ListV0Async("legacy-list", -1, 1));
        Assert.Equal([30L, .. segmentsNewestFirst], await ListV0Async("legacy-list", -1, 100));
        Assert.Equal([30L, segmentsNewestFirst[0]], await ListV0Async("legacy-list", -1, 2));
        Assert.Equal([0L], await ListV0Async("legacy-list", -2, 5));
        Assert.Equal([11L], await ListV0Async("legacy-list", start.AddSeconds(10.5).ToUnixTimeMilliseconds(), 1));
        Assert.Equal([30L], await ListV0Async("legacy-list", start.AddDays(1).ToUnixTimeMilliseconds(), 1));
        Assert.Empty(await ListV0Async("legacy-list", -1, 0));
    }

    [Fact]
    public async Task ListOffsetsV0_WithNegativeMaxNumOffsetsOrAnUnknownTimestampCode_IsInvalidRequest_AndAnUnknownPartitionIsUnknown()
    {
        var response = await ExchangeAsync(2, 0, new LegacyRequest()
            .Int32(-1)
            .Array([(Topic, 0, -1L, -1), (Topic, 1, -3L, 1), ("no-such-topic", 0, -1L, 1)], (w, q) => w.String(q.Item1).Array([q], (w2, p) => w2.Int32(p.Item2).Int64(p.Item3).Int32(p.Item4))));

        var errors = response.Array(r => (r.String(), r.Array(p => (p.Int32(), p.Int16(), p.Array(o => o.Int64())!.Count))!.Single()))!;
        Assert.True(response.AtEnd);
        Assert.Equal(
            [(Topic, (0, (short)ErrorCode.InvalidRequest, 0)), (Topic, (1, (short)ErrorCode.InvalidRequest, 0)), ("no-such-topic", (0, (short)ErrorCode.UnknownTopicOrPartition, 0))],
            errors.Select(e => (e.Item1, e.Item2)));
    }

    private static OffsetCommitRequest NewCommit(string group, long offset, string metadata) => new()
    {
        GroupId = group,
        GenerationIdOrMemberEpoch = -1,
        MemberId = string.Empty,
        Topics = [new() { Name = Topic, Partitions = [new() { PartitionIndex = 0, CommittedOffset = offset, CommittedMetadata = metadata }] }],
    };

    private static List<(string? Topic, int Partition, short Error)> ReadCommitResponse(LegacyResponse response)
    {
        var result = response.Array(r => (Name: r.String(), Partitions: r.Array(p => (p.Int32(), p.Int16()))!))!
            .SelectMany(t => t.Partitions.Select(p => (t.Name, p.Item1, p.Item2)))
            .ToList();
        Assert.True(response.AtEnd, "bytes left after the OffsetCommit v0/v1 response");
        return result;
    }

    private async Task<List<(int Partition, long Offset, string? Metadata, short Error)>> FetchV0Async(string group, params int[] partitions)
    {
        var response = await ExchangeAsync(9, 0, new LegacyRequest().String(group).Array([Topic], (w, t) => w.String(t).Array(partitions, (w2, p) => w2.Int32(p))));
        var topics = response.Array(r => (Name: r.String(), Partitions: r.Array(p => (p.Int32(), p.Int64(), p.String(), p.Int16()))!))!;
        Assert.True(response.AtEnd, "bytes left after the OffsetFetch v0 response");
        return Assert.Single(topics, t => t.Name == Topic).Partitions;
    }

    private async Task<List<long>> ListV0Async(string topic, long timestamp, int maxNumOffsets)
    {
        var response = await ExchangeAsync(2, 0, new LegacyRequest()
            .Int32(-1)
            .Array([topic], (w, t) => w.String(t).Array([0], (w2, p) => w2.Int32(p).Int64(timestamp).Int32(maxNumOffsets))));
        var partition = response.Array(r => (r.String(), r.Array(p => (Index: p.Int32(), Error: p.Int16(), Offsets: p.Array(o => o.Int64())!))!))!.Single().Item2.Single();
        Assert.True(response.AtEnd, "bytes left after the ListOffsets v0 response");
        Assert.Equal((0, (short)0), (partition.Index, partition.Error));
        return partition.Offsets;
    }

    private async Task<LegacyResponse> ExchangeAsync(short apiKey, short version, LegacyRequest body)
    {
        var correlationId = ++_correlationId;
        await _connection.SendRawAsync(body.Frame(apiKey, version, correlationId));
        var frame = await _connection.ReadFrameAsync() ?? throw new IOException($"the broker closed the connection on API {apiKey} v{version}");
        var response = new LegacyResponse(frame);
        Assert.Equal(correlationId, response.CorrelationId);
        return response;
    }
}
