using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Server.Handlers;
using Wharf.Server.Transactions;

namespace Wharf.Server.Tests;

/// <summary>
/// WriteTxnMarkers (API 27) as node 1 of a two-broker cluster answers it (<see cref="ClusterView"/>): a marker lands
/// only in partitions led here, at the coordinator epoch it carries; every other partition gets the error Kafka gives,
/// and a marker from an older coordinator than the producer's last one is fenced.
/// </summary>
public sealed class WriteTxnMarkersTests : IDisposable
{
    private const long ProducerId = 42;

    private readonly ClusterView _cluster = new();
    private readonly GroupCoordinator _groups;
    private readonly WriteTxnMarkersHandler _handler;

    public WriteTxnMarkersTests()
    {
        _groups = new GroupCoordinator(new InternalTopicWriter(_cluster.Replicas, GroupCoordinator.OffsetsTopic), new GroupCoordinatorOptions { OffsetsTopicPartitions = 1 }, _cluster.Time);
        _handler = new WriteTxnMarkersHandler(new TransactionMarkerAppender(_cluster.Replicas, _groups, NullLogger<TransactionMarkerAppender>.Instance));
    }

    public void Dispose()
    {
        _groups.Dispose();
        _cluster.Dispose();
    }

    [Fact]
    public async Task Marker_IsWrittenToPartitionsLedHere_AndEveryOtherPartitionGetsItsError()
    {
        var led = new TopicPartition(ClusterView.Topic, 0);
        var first = await ProduceTransactionalAsync(led, sequence: 0);
        Assert.Equal(first, _cluster.Replicas.GetPartition(led)!.LastStableOffset);

        var response = await WriteAsync(Marker(ProducerId, 0, coordinatorEpoch: 3, commit: true, (ClusterView.Topic, [0, 1, 2, 3]), ("unknown", [0]), (GroupCoordinator.OffsetsTopic, [0])));

        Assert.Equal(
            [ErrorCode.None, ErrorCode.NotLeaderOrFollower, ErrorCode.NotLeaderOrFollower, ErrorCode.UnknownTopicOrPartition],
            Errors(response, ClusterView.Topic));
        Assert.Equal([ErrorCode.UnknownTopicOrPartition], Errors(response, "unknown"));
        Assert.Equal([ErrorCode.UnknownTopicOrPartition], Errors(response, GroupCoordinator.OffsetsTopic));
        var partition = _cluster.Replicas.GetPartition(led)!;
        Assert.Equal(partition.LogEndOffset, partition.LastStableOffset);
        Assert.Equal(3, Assert.Single(partition.ActiveProducers().Producers).CoordinatorEpoch);
        Assert.Equal(0, _cluster.Replicas.GetPartition(new TopicPartition(ClusterView.Topic, 2))!.LogEndOffset);
    }

    [Fact]
    public async Task Marker_FromAnOlderCoordinatorEpoch_IsTransactionCoordinatorFenced_AndLeavesTheTransactionOpen()
    {
        var led = new TopicPartition(ClusterView.Topic, 0);
        await ProduceTransactionalAsync(led, sequence: 0);
        Assert.Equal([ErrorCode.None], Errors(await WriteAsync(Marker(ProducerId, 0, coordinatorEpoch: 5, commit: true, (ClusterView.Topic, [0]))), ClusterView.Topic));
        var open = await ProduceTransactionalAsync(led, sequence: 1);

        var zombie = await WriteAsync(Marker(ProducerId, 0, coordinatorEpoch: 4, commit: false, (ClusterView.Topic, [0])));

        Assert.Equal([ErrorCode.TransactionCoordinatorFenced], Errors(zombie, ClusterView.Topic));
        Assert.Equal(open, _cluster.Replicas.GetPartition(led)!.LastStableOffset);
        Assert.Equal([ErrorCode.None], Errors(await WriteAsync(Marker(ProducerId, 0, coordinatorEpoch: 5, commit: false, (ClusterView.Topic, [0]))), ClusterView.Topic));
        Assert.Equal(_cluster.Replicas.GetPartition(led)!.LogEndOffset, _cluster.Replicas.GetPartition(led)!.LastStableOffset);
    }

    [Fact]
    public async Task Marker_OfAnOlderProducerEpoch_IsInvalidProducerEpoch_AndOneWithoutAProducerIsInvalidRequest()
    {
        var led = new TopicPartition(ClusterView.Topic, 0);
        await ProduceTransactionalAsync(led, sequence: 0, epoch: 2);
        var end = _cluster.Replicas.GetPartition(led)!.LogEndOffset;

        var request = new WriteTxnMarkersRequest
        {
            Markers =
            [
                Marker(ProducerId, 1, coordinatorEpoch: 3, commit: true, (ClusterView.Topic, [0])).Markers[0],
                Marker(-1, 0, coordinatorEpoch: 3, commit: true, (ClusterView.Topic, [0])).Markers[0],
            ],
        };
        var response = ClusterView.RoundTrip((await _handler.HandleAsync(ClusterView.Context(ApiKey.WriteTxnMarkers, 1), request, default))!, 1);

        Assert.Equal(2, response.Markers.Count);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, response.Markers[0].Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((-1L, (short)ErrorCode.InvalidRequest), (response.Markers[1].ProducerId, response.Markers[1].Topics[0].Partitions[0].ErrorCode));
        Assert.Equal(end, _cluster.Replicas.GetPartition(led)!.LogEndOffset);
    }

    [Fact]
    public async Task Version0_IsAnsweredLikeVersion1()
    {
        var response = ClusterView.RoundTrip(
            (await _handler.HandleAsync(ClusterView.Context(ApiKey.WriteTxnMarkers, 0), Marker(ProducerId, 0, 1, commit: false, (ClusterView.Topic, [0, 1])), default))!, 0);

        Assert.Equal([ErrorCode.None, ErrorCode.NotLeaderOrFollower], Errors(response, ClusterView.Topic));
    }

    private async Task<WriteTxnMarkersResponse> WriteAsync(WriteTxnMarkersRequest request) =>
        ClusterView.RoundTrip((await _handler.HandleAsync(ClusterView.Context(ApiKey.WriteTxnMarkers, 1), request, default))!, 1);

    /// <summary>Appends one transactional record of <see cref="ProducerId"/>; returns its offset.</summary>
    private async Task<long> ProduceTransactionalAsync(TopicPartition topicPartition, int sequence, short epoch = 0)
    {
        var builder = new RecordBatchBuilder { ProducerId = ProducerId, ProducerEpoch = epoch, BaseSequence = sequence, IsTransactional = true };
        builder.Append(1_700_000_000_000, null, "value"u8.ToArray());
        var info = await _cluster.Replicas.GetPartition(topicPartition)!.AppendAsLeaderAsync(builder.ToArray());
        return info.FirstOffset;
    }

    private static WriteTxnMarkersRequest Marker(long producerId, short producerEpoch, int coordinatorEpoch, bool commit, params (string Topic, int[] Partitions)[] topics) => new()
    {
        Markers =
        [
            new()
            {
                ProducerId = producerId,
                ProducerEpoch = producerEpoch,
                CoordinatorEpoch = coordinatorEpoch,
                TransactionResult = commit,
                Topics = [.. topics.Select(t => new WriteTxnMarkersRequest.WritableTxnMarkerTopic { Name = t.Topic, PartitionIndexes = [.. t.Partitions] })],
            },
        ],
    };

    private static ErrorCode[] Errors(WriteTxnMarkersResponse response, string topic) =>
        [.. response.Markers.SelectMany(m => m.Topics).Where(t => t.Name == topic).SelectMany(t => t.Partitions).Select(p => (ErrorCode)p.ErrorCode)];
}
