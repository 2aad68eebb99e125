using System.Buffers;
using System.Text;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// Requests sent back to back on one connection (as librdkafka and the Java client pipeline them) are answered
/// in request order, and pipelined produces to one partition are appended in arrival order.
/// </summary>
public sealed class PipeliningTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.flush.mode"] = "ack" });
        await _broker.CreateTopicAsync("pipe");
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task BackToBackRequests_AreAnsweredInOrder_AndProducesAppendInArrivalOrder()
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        var sent = new List<(int CorrelationId, ApiKey Api)>();
        for (var i = 0; i < 12; i++)
        {
            IApiMessage request = i % 4 == 3
                ? new MetadataRequest { Topics = [new() { Name = "pipe" }] }
                : new ProduceRequest { Acks = -1, TimeoutMs = 5000, TopicData = [new() { Name = "pipe", PartitionData = [new() { Index = 0, Records = new ReadOnlySequence<byte>(Batch($"m{i}")) }] }] };
            sent.Add((await connection.SendAsync(request, 9), request.ApiKey));
        }

        var offsets = new List<long>();
        foreach (var (correlationId, api) in sent)
        {
            var frame = await connection.ReadFrameAsync() ?? throw new IOException("closed");
            Assert.Equal(correlationId, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame));
            if (api == ApiKey.Produce)
            {
                var response = RawKafkaConnection.Decode<ProduceResponse>(frame, 1, 9);
                var partition = response.Responses[0].PartitionResponses[0];
                Assert.Equal((short)ErrorCode.None, partition.ErrorCode);
                offsets.Add(partition.BaseOffset);
            }
        }

        Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
    }

    private static byte[] Batch(string value) =>
        new RecordBatchBuilder().Append(1_700_000_000_000, null, Encoding.UTF8.GetBytes(value)).ToArray();
}
