using System.Buffers;
using System.Text;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Records;

namespace Wharf.Cluster.Tests.Infrastructure;

/// <summary>What one broker answered to a Metadata request: the live brokers, the controller and each partition's leader.</summary>
public sealed record BrokerAnswer(IReadOnlySet<int> Brokers, int ControllerId, IReadOnlyDictionary<int, int> Leaders, short TopicError)
{
    public override string ToString() =>
        $"brokers [{string.Join(',', Brokers.Order())}], controller {ControllerId}, topic error {TopicError}, leaders {{{string.Join(", ", Leaders.OrderBy(l => l.Key).Select(l => $"{l.Key}:{l.Value}"))}}}";
}

/// <summary>
/// Asks one particular broker (not whichever a client library picks) over a raw connection: its Metadata for a topic,
/// or the error code of a one-record Produce to a partition. Thread-safety: stateless; one connection per call.
/// </summary>
public static class BrokerQuery
{
    public static async Task<BrokerAnswer> MetadataAsync(string broker, string topic)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(broker);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await connection.SendAsync(new MetadataRequest { Topics = [new() { Name = topic }], AllowAutoTopicCreation = false }, 12);
        var response = await connection.ReceiveAsync<MetadataResponse>(12, timeout.Token);
        var described = Assert.Single(response.Topics);
        return new BrokerAnswer(
            response.Brokers.Select(b => b.NodeId).ToHashSet(),
            response.ControllerId,
            described.Partitions.ToDictionary(p => p.PartitionIndex, p => p.LeaderId),
            described.ErrorCode);
    }

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> to <paramref name="broker"/> and returns its response.</summary>
    public static async Task<TResponse> SendAsync<TResponse>(string broker, IApiMessage request, short version)
        where TResponse : IApiMessage<TResponse>
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(broker);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await connection.SendAsync(request, version);
        return await connection.ReceiveAsync<TResponse>(version, timeout.Token);
    }

    /// <summary>The node id <paramref name="broker"/> names as coordinator of <paramref name="group"/> (FindCoordinator v3), or -1 while it has none.</summary>
    public static Task<int> GroupCoordinatorAsync(string broker, string group) => CoordinatorAsync(broker, group, keyType: 0);

    /// <summary>The node id <paramref name="broker"/> names as transaction coordinator of <paramref name="transactionalId"/>, or -1.</summary>
    public static Task<int> TransactionCoordinatorAsync(string broker, string transactionalId) => CoordinatorAsync(broker, transactionalId, keyType: 1);

    private static async Task<int> CoordinatorAsync(string broker, string key, sbyte keyType)
    {
        var response = await SendAsync<FindCoordinatorResponse>(broker, new FindCoordinatorRequest { Key = key, KeyType = keyType }, 3);
        return response.ErrorCode == 0 ? response.NodeId : -1;
    }

    /// <summary>Produces one record (acks=all) straight to <paramref name="broker"/> and returns the partition's error code.</summary>
    public static async Task<ErrorCode> ProduceAsync(string broker, string topic, int partition, string value)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(broker);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var batch = new RecordBatchBuilder().Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(value)).ToArray();
        await connection.SendAsync(
            new ProduceRequest { Acks = -1, TimeoutMs = 10_000, TopicData = [new() { Name = topic, PartitionData = [new() { Index = partition, Records = new ReadOnlySequence<byte>(batch) }] }] },
            9);
        var response = await connection.ReceiveAsync<ProduceResponse>(9, timeout.Token);
        return (ErrorCode)Assert.Single(Assert.Single(response.Responses).PartitionResponses).ErrorCode;
    }
}
