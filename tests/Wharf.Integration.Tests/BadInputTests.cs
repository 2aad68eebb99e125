using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// Bad input over a raw socket: each gets the right Kafka error, or only that connection is closed — and a
/// well-behaved connection opened first keeps producing and fetching afterwards.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private WharfBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        await _broker.CreateTopicAsync("t", 2);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    public static TheoryData<string, byte[]> ConnectionKillers() => new()
    {
        { "garbage bytes", Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n") },
        { "negative frame size", [0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3] },
        { "frame larger than socket.request.max.bytes", [0x7F, 0xFF, 0xFF, 0xFF, 0, 0] },
        { "unknown API key", Frame([0x03, 0xE7, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF]) },
        { "unsupported Produce version", Frame([0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0, 0]) },
        { "a frame too short for a header", Frame([0, 3, 0]) },
        { "Metadata v1 with a lying array count", Frame([0, 3, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]) },
    };

    [Theory]
    [MemberData(nameof(ConnectionKillers))]
    public async Task BadFrame_ClosesOnlyThatConnection(string what, byte[] bytes)
    {
        await using var good = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await ProduceAndCheckAsync(good, "before " + what);

        await using var bad = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await bad.SendRawAsync(bytes);
        Assert.True(await bad.IsClosedByBrokerAsync(Timeout), $"broker kept the connection open after {what}");

        await ProduceAndCheckAsync(good, "after " + what);
    }

    [Fact]
    public async Task TruncatedFrame_IsHeldUntilMoreBytes_AndTheConnectionStillCloses()
    {
        await using var bad = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await bad.SendRawAsync([0, 0, 0, 100, 0, 18, 0, 3]);
        await bad.DisposeAsync();
        await using var good = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await ProduceAndCheckAsync(good, "after a truncated frame");
    }

    [Fact]
    public async Task ApiVersions_AtAnUnknownVersion_AnswersError35WithOurRanges()
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await connection.SendAsync(new ApiVersionsRequest(), 3);
        var frame = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await using (frame)
        {
            // Version 99 of ApiVersions: body never parsed; answered in the v0 shape with header v0.
            await frame.SendRawAsync(Frame([0, 18, 0, 99, 0, 0, 0, 7, 0xFF, 0xFF]));
            var bytes = await frame.ReadFrameAsync() ?? throw new IOException("closed");
            var response = RawKafkaConnection.Decode<ApiVersionsResponse>(bytes, 0, 0);
            Assert.Equal((short)ErrorCode.UnsupportedVersion, response.ErrorCode);
            Assert.Contains(response.ApiKeys, k => k.ApiKey == (short)ApiKey.ApiVersions && k.MinVersion == 0 && k.MaxVersion == 3);
            Assert.Contains(response.ApiKeys, k => k.ApiKey == (short)ApiKey.Produce && k.MaxVersion == 10);
        }
    }

    [Fact]
    public async Task BatchWithBadCrc_IsCorruptMessage_AndNothingIsAppended()
    {
        var batch = Batch("x");
        batch[^1] ^= 0xFF;
        var (error, end) = await ProduceRawAsync(batch);
        Assert.Equal(ErrorCode.CorruptMessage, error);
        Assert.Equal(0, end);
    }

    [Fact]
    public async Task LegacyMagicOne_IsUnsupportedForMessageFormat()
    {
        var batch = Batch("x");
        batch[RecordBatchLayout.MagicOffset] = 1;
        var (error, end) = await ProduceRawAsync(batch);
        Assert.Equal(ErrorCode.UnsupportedForMessageFormat, error);
        Assert.Equal(0, end);
    }

    [Fact]
    public async Task BatchOverMaxMessageBytes_IsMessageTooLarge()
    {
        await _broker.CreateTopicAsync("small", 1, new Dictionary<string, string> { ["max.message.bytes"] = "1024" });
        var (error, end) = await ProduceRawAsync(Batch(new string('x', 4000)), "small");
        Assert.Equal(ErrorCode.MessageTooLarge, error);
        Assert.Equal(0, end);
    }

    [Fact]
    public async Task RecordCountThatLies_IsInvalidRecord()
    {
        var batch = Batch("x");
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.RecordCountOffset), 5);
        var crc = Crc32C.Compute(batch.AsSpan(RecordBatchLayout.AttributesOffset));
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchLayout.CrcOffset), crc);
        var (error, _) = await ProduceRawAsync(batch);
        Assert.Equal(ErrorCode.InvalidRecord, error);
    }

    [Fact]
    public async Task DecompressionBomb_ToACompactedTopic_IsRefusedWithoutHarm()
    {
        await _broker.CreateTopicAsync("compacted", 1, new Dictionary<string, string> { ["cleanup.policy"] = "compact" });
        var bomb = new RecordBatchBuilder(CompressionType.Zstd).Append(1, Encoding.UTF8.GetBytes("k"), new byte[64 << 20]).ToArray();
        Assert.True(bomb.Length < 64 * 1024, $"the bomb should be small on the wire, is {bomb.Length} bytes");

        var (error, end) = await ProduceRawAsync(bomb, "compacted");
        Assert.Equal(ErrorCode.MessageTooLarge, error);
        Assert.Equal(0, end);

        var keyed = new RecordBatchBuilder(CompressionType.Zstd).Append(1, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("v")).ToArray();
        (error, end) = await ProduceRawAsync(keyed, "compacted");
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(1, end);
    }

    [Fact]
    public async Task RecordWithoutKey_ToACompactedTopic_IsInvalidRecord()
    {
        await _broker.CreateTopicAsync("compacted-keys", 1, new Dictionary<string, string> { ["cleanup.policy"] = "compact" });
        var (error, end) = await ProduceRawAsync(Batch("no key"), "compacted-keys");
        Assert.Equal(ErrorCode.InvalidRecord, error);
        Assert.Equal(0, end);
    }

    [Fact]
    public async Task ProduceToAnUnknownPartition_IsUnknownTopicOrPartition()
    {
        var (error, _) = await ProduceRawAsync(Batch("x"), "t", partition: 7);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error);
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("..")]
    [InlineData("ünïcode")]
    public async Task CreateTopicWithAnInvalidName_IsInvalidTopicException(string name)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await connection.SendAsync(new CreateTopicsRequest { Topics = [new() { Name = name, NumPartitions = 1, ReplicationFactor = 1 }] }, 4);
        var response = await connection.ReceiveAsync<CreateTopicsResponse>(4);
        Assert.Equal((short)ErrorCode.InvalidTopicException, response.Topics[0].ErrorCode);
        Assert.False(_broker.Controller.Current.TryGetTopic(name, out _));
    }

    [Fact]
    public async Task TwoThousandIdleConnections_DoNotStopTheBrokerServing()
    {
        var idle = new List<RawKafkaConnection>();
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                idle.Add(await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers));
            }

            await using var good = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
            await ProduceAndCheckAsync(good, "with 2000 idle connections");
        }
        finally
        {
            foreach (var connection in idle)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task ProduceAndCheckAsync(RawKafkaConnection connection, string value)
    {
        var (error, end) = await ProduceRawAsync(Batch(value), connection: connection);
        Assert.Equal(ErrorCode.None, error);
        Assert.True(end > 0);
    }

    /// <summary>Produces one batch (acks=-1) and returns the error and the partition's end offset from a Fetch.</summary>
    private async Task<(ErrorCode Error, long End)> ProduceRawAsync(byte[] batch, string topic = "t", int partition = 0, RawKafkaConnection? connection = null)
    {
        var own = connection is null ? await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers) : null;
        var target = connection ?? own!;
        try
        {
            await target.SendAsync(
                new ProduceRequest { Acks = -1, TimeoutMs = 5000, TopicData = [new() { Name = topic, PartitionData = [new() { Index = partition, Records = new ReadOnlySequence<byte>(batch) }] }] },
                9);
            var response = await target.ReceiveAsync<ProduceResponse>(9);
            var error = (ErrorCode)response.Responses[0].PartitionResponses[0].ErrorCode;
            await target.SendAsync(new ListOffsetsRequest { ReplicaId = -1, Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = partition, Timestamp = -1 }] }] }, 7);
            var offsets = await target.ReceiveAsync<ListOffsetsResponse>(7);
            return (error, offsets.Topics[0].Partitions[0].Offset);
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    private static byte[] Batch(string value) =>
        new RecordBatchBuilder().Append(1_700_000_000_000, null, Encoding.UTF8.GetBytes(value)).ToArray();

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[body.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }
}
