using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Records;
using Wharf.Server.Forwarding;
using Wharf.Server.Transactions;

namespace Wharf.Server.Tests;

/// <summary>
/// <see cref="TransactionMarkerRouter"/> as node 1's coordinator runs it (<see cref="ClusterView"/>): a marker for a
/// partition without a leader is parked — not polled: the fake clock never moves — until the image elects one, a
/// deleted topic's partition is done at once, and only the coordinator's cancellation ends the retries.
/// </summary>
public sealed class TransactionMarkerRouterTests : IAsyncDisposable
{
    private const long ProducerId = 42;
    private static readonly TopicPartition Led = new(ClusterView.Topic, 0);

    private readonly ClusterView _cluster = new();
    private readonly GroupCoordinator _groups;
    private readonly Controller _controller;
    private readonly BrokerConnectionPool _connections;
    private readonly TransactionMarkerRouter _router;

    public TransactionMarkerRouterTests()
    {
        // The controller's image has the partition offline; the partition itself still leads (it follows later).
        var offline = _cluster.Image.Apply(new PartitionRecord(ClusterView.OrdersId, 0, [1], [1], -1, 4, 5)).WithOffset(10);
        _controller = new Controller(new InMemoryMetadataLog(), offline, BrokerConfigLoader.Load(new BrokerConfigSources { Environment = new Dictionary<string, string>() }));
        _groups = new GroupCoordinator(new InternalTopicWriter(_cluster.Replicas, GroupCoordinator.OffsetsTopic), new GroupCoordinatorOptions { OffsetsTopicPartitions = 1 }, _cluster.Time);
        _connections = new BrokerConnectionPool(() => _controller.Current, ClusterView.Listener, "router-test");
        _router = new TransactionMarkerRouter(
            _controller, new TransactionMarkerAppender(_cluster.Replicas, _groups, NullLogger<TransactionMarkerAppender>.Instance), _connections, _cluster.Time, NullLogger<TransactionMarkerRouter>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await _connections.DisposeAsync();
        await _controller.DisposeAsync();
        _groups.Dispose();
        _cluster.Dispose();
    }

    [Fact]
    public async Task Marker_ForAPartitionWithoutLeader_IsParkedUntilTheImageElectsOne_AndADeletedTopicIsDoneAtOnce()
    {
        var open = await ProduceTransactionalAsync();

        var written = _router.WriteMarkersAsync(new TransactionMarker(ProducerId, 0, 3, Commit: true), [Led, new TopicPartition("deleted", 0)], default);

        Assert.False(written.IsCompleted);
        Assert.Equal(open, _cluster.Replicas.GetPartition(Led)!.LastStableOffset);
        _controller.ApplyCommitted(new MetadataBatch(11, 1, [new PartitionRecord(ClusterView.OrdersId, 0, [1], [1], 1, 4, 6)]));
        Assert.Empty(await written.WaitAsync(TimeSpan.FromSeconds(10)));
        var partition = _cluster.Replicas.GetPartition(Led)!;
        Assert.Equal(partition.LogEndOffset, partition.LastStableOffset);
    }

    [Fact]
    public async Task Retries_EndOnlyWhenTheCoordinatorCancelsThem()
    {
        await ProduceTransactionalAsync();
        using var unload = new CancellationTokenSource();

        var written = _router.WriteMarkersAsync(new TransactionMarker(ProducerId, 0, 3, Commit: false), [Led], unload.Token);
        _cluster.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(written.IsCompleted);
        await unload.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => written.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private async Task<long> ProduceTransactionalAsync()
    {
        var builder = new RecordBatchBuilder { ProducerId = ProducerId, ProducerEpoch = 0, BaseSequence = 0, IsTransactional = true };
        builder.Append(1_700_000_000_000, null, "value"u8.ToArray());
        return (await _cluster.Replicas.GetPartition(Led)!.AppendAsLeaderAsync(builder.ToArray())).FirstOffset;
    }
}
