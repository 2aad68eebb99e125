using Confluent.Kafka;
using Wharf.Common;
using ErrorCode = Wharf.Common.ErrorCode;
using Wharf.Protocol.Messages;

namespace Wharf.Integration.Tests;

/// <summary>
/// A fetch whose segment file closes under it — retention, compaction or a deletion winning the race, which
/// <c>LogFileSlice</c> reports as <see cref="ObjectDisposedException"/> — is answered OFFSET_OUT_OF_RANGE for that
/// partition; the connection and the other partitions in the same request carry on.
/// </summary>
public sealed class FetchRaceTests
{
    [Fact]
    public async Task Fetch_FromALogWhoseFilesClosed_IsOffsetOutOfRangeForThatPartition_AndTheConnectionStaysUp()
    {
        await using var broker = await InProcessBroker.StartAsync();
        await broker.CreateTopicAsync("race", 2);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All }).Build())
        {
            foreach (var partition in new[] { 0, 1 })
            {
                await producer.ProduceAsync(new Confluent.Kafka.TopicPartition("race", partition), new Message<Null, string> { Value = $"record-{partition}" });
            }
        }

        // Closing the log closes its segment files exactly as a retired segment's are closed after the delete delay.
        broker.Broker.Replicas.Logs.GetLog(new Wharf.Common.TopicPartition("race", 0))!.Dispose();
        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
        await connection.SendAsync(Fetch("race", 0, 1), 12);
        var response = await connection.ReceiveAsync<FetchResponse>(12);

        var partitions = response.Responses.Single().Partitions.ToDictionary(p => p.PartitionIndex);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, partitions[0].ErrorCode);
        Assert.True(partitions[0].Records is null or { Length: 0 }, "records came from a closed log");
        Assert.Equal((short)ErrorCode.None, partitions[1].ErrorCode);
        Assert.True(partitions[1].Records is { Length: > 0 }, "the healthy partition's records are missing");
        await connection.SendAsync(Fetch("race", 1), 12);
        Assert.Equal((short)ErrorCode.None, (await connection.ReceiveAsync<FetchResponse>(12)).Responses.Single().Partitions.Single().ErrorCode);
    }

    private static FetchRequest Fetch(string topic, params int[] partitions) => new()
    {
        MaxWaitMs = 0,
        MinBytes = 0,
        Topics = [new() { Topic = topic, Partitions = [.. partitions.Select(p => new FetchRequest.FetchPartition { Partition = p, FetchOffset = 0, PartitionMaxBytes = 1 << 20 })] }],
    };
}
