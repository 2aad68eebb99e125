using System.Buffers;
using System.Text;
using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>An empty fetch waits for data (long polling) and is answered as soon as an append arrives.</summary>
public sealed class LongPollTests : IAsyncLifetime
{
    private WharfBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        await _broker.CreateTopicAsync("poll");
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task EmptyFetch_WaitsUntilAnAppend_ThenAnswersWithTheData()
    {
        await using var fetcher = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await using var producer = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);

        // max_wait 60 s: an answer well before that can only come from the append waking the fetch.
        await fetcher.SendAsync(
            new FetchRequest { ReplicaId = -1, MaxWaitMs = 60_000, MinBytes = 1, MaxBytes = 1 << 20, Topics = [new() { Topic = "poll", Partitions = [new() { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 }] }] },
            11);
        var pending = fetcher.ReceiveAsync<FetchResponse>(11);

        // The broker must not answer an empty long poll: a round trip on another connection completes first.
        await producer.SendAsync(new MetadataRequest { Topics = [] }, 9);
        await producer.ReceiveAsync<MetadataResponse>(9);
        Assert.False(pending.IsCompleted, "the fetch was answered before any data existed");

        var batch = new RecordBatchBuilder().Append(1, null, Encoding.UTF8.GetBytes("wake up")).ToArray();
        await producer.SendAsync(new ProduceRequest { Acks = 1, TimeoutMs = 5000, TopicData = [new() { Name = "poll", PartitionData = [new() { Index = 0, Records = new ReadOnlySequence<byte>(batch) }] }] }, 9);
        await producer.ReceiveAsync<ProduceResponse>(9);

        var response = await pending.WaitAsync(TimeSpan.FromSeconds(20));
        var partition = response.Responses[0].Partitions[0];
        Assert.Equal((short)ErrorCode.None, partition.ErrorCode);
        Assert.Equal(1, partition.HighWatermark);
        Assert.True(partition.Records is { Length: > 0 });
        var records = partition.Records!.Value.ToArray();
        Assert.Equal(RecordBatchError.None, RecordBatchValidator.Validate(records, 1 << 20, out var header));
        Assert.Equal(0, header.BaseOffset);
    }

    [Fact]
    public async Task FetchBeyondTheEnd_IsOffsetOutOfRange()
    {
        await using var fetcher = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await fetcher.SendAsync(
            new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 1, MaxBytes = 1 << 20, Topics = [new() { Topic = "poll", Partitions = [new() { Partition = 0, FetchOffset = 99, PartitionMaxBytes = 1 << 20 }] }] },
            11);
        var response = await fetcher.ReceiveAsync<FetchResponse>(11);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, response.Responses[0].Partitions[0].ErrorCode);
    }
}
