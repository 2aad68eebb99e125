using Wharf.Common;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Replication.Tests;

/// <summary>One partition's transitions and the leader-epoch checks every operation makes (KIP-320).</summary>
public sealed class PartitionTests : IDisposable
{
    private static readonly TopicPartition Orders = new("orders", 0);
    private readonly ReplicaFixture _fixture = new();
    private readonly Partition _partition;

    public PartitionTests() => _partition = new Partition(Orders, _fixture.Logs.GetOrCreateLog(Orders), ReplicaFixture.LocalNode);

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task NewPartition_ServesNothingUntilATransition()
    {
        Assert.Equal(PartitionRole.None, _partition.Role);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, _partition.Read(new PartitionFetch(0, 1000)).Error);
        var refused = await Assert.ThrowsAsync<LogException>(() => _partition.AppendAsLeaderAsync(_fixture.Batch()));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, refused.ErrorCode);
    }

    [Theory]
    [InlineData(-1, ErrorCode.None)]
    [InlineData(5, ErrorCode.None)]
    [InlineData(4, ErrorCode.FencedLeaderEpoch)]
    [InlineData(0, ErrorCode.FencedLeaderEpoch)]
    [InlineData(6, ErrorCode.UnknownLeaderEpoch)]
    public void CheckLeaderEpoch_OnTheLeaderAtEpoch5_FollowsKip320(int requestEpoch, ErrorCode expected)
    {
        _partition.MakeLeader(5, 7, Nodes.Of(1), Nodes.Of(1));

        Assert.Equal(expected, _partition.CheckLeaderEpoch(requestEpoch));
        Assert.Equal(expected, _partition.Read(new PartitionFetch(0, 1000, requestEpoch)).Error);
        Assert.Equal(expected, _partition.FetchOffsetForTimestamp(ListOffsetsTimestamp.Latest, requestEpoch, readCommitted: false).Error);
    }

    [Theory]
    [InlineData(-1, ErrorCode.NotLeaderOrFollower)]
    [InlineData(5, ErrorCode.NotLeaderOrFollower)]
    [InlineData(4, ErrorCode.FencedLeaderEpoch)]
    [InlineData(6, ErrorCode.UnknownLeaderEpoch)]
    public void CheckLeaderEpoch_OnAFollower_ChecksTheEpochBeforeTheRole(int requestEpoch, ErrorCode expected)
    {
        _partition.MakeFollower(5, 7, ReplicaFixture.OtherNode, Nodes.Of(2, 1), Nodes.Of(2, 1));

        Assert.Equal(expected, _partition.CheckLeaderEpoch(requestEpoch));
        Assert.Equal(expected == ErrorCode.NotLeaderOrFollower ? ErrorCode.None : expected, _partition.CheckLeaderEpoch(requestEpoch, requireLeader: false));
    }

    [Fact]
    public async Task MakeLeader_AtANewEpoch_StampsEveryLaterBatchWithIt()
    {
        Assert.True(_partition.MakeLeader(3, 3, Nodes.Of(1), Nodes.Of(1)));
        await _partition.AppendAsLeaderAsync(_fixture.Batch());
        Assert.True(_partition.MakeLeader(4, 4, Nodes.Of(1), Nodes.Of(1)));
        await _partition.AppendAsLeaderAsync(_fixture.Batch());

        var read = _partition.Read(new PartitionFetch(0, 1 << 20));
        var bytes = read.Records.ToArray();
        var first = RecordBatchHeader.Read(bytes);
        var second = RecordBatchHeader.Read(bytes.AsSpan(first.TotalSize));
        Assert.Equal((3, 4), (first.PartitionLeaderEpoch, second.PartitionLeaderEpoch));
        Assert.Equal(2, _partition.HighWatermark);
    }

    [Fact]
    public void MakeLeader_AtTheSameEpoch_UpdatesTheReplicasWithoutANewTerm()
    {
        Assert.True(_partition.MakeLeader(3, 3, Nodes.Of(1), Nodes.Of(1)));

        Assert.False(_partition.MakeLeader(3, 4, Nodes.Of(1, 2), Nodes.Of(1)));

        Assert.Equal((3, 4, 2), (_partition.LeaderEpoch, _partition.Leadership.PartitionEpoch, _partition.Leadership.Replicas.Length));
    }

    [Fact]
    public void Transitions_WithAStaleLeaderEpoch_AreIgnored()
    {
        _partition.MakeLeader(5, 5, Nodes.Of(1), Nodes.Of(1));

        Assert.False(_partition.MakeLeader(4, 4, Nodes.Of(1), Nodes.Of(1)));
        Assert.False(_partition.MakeFollower(4, 4, ReplicaFixture.OtherNode, Nodes.Of(2, 1), Nodes.Of(2, 1)));

        Assert.Equal((PartitionRole.Leader, 5), (_partition.Role, _partition.LeaderEpoch));
    }

    [Fact]
    public async Task MakeFollower_RefusesAppendsAndReadsWithNotLeaderOrFollower()
    {
        _partition.MakeLeader(1, 1, Nodes.Of(1), Nodes.Of(1));
        await _partition.AppendAsLeaderAsync(_fixture.Batch());

        Assert.True(_partition.MakeFollower(2, 2, ReplicaFixture.OtherNode, Nodes.Of(2, 1), Nodes.Of(2, 1)));

        var refused = await Assert.ThrowsAsync<LogException>(() => _partition.AppendAsLeaderAsync(_fixture.Batch()));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, refused.ErrorCode);
        Assert.Equal(1, _partition.LogEndOffset);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, _partition.Read(new PartitionFetch(0, 1000)).Error);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, _partition.DeleteRecordsOnLeader(-1).Error);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, _partition.ActiveProducers().Error);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, _partition.LegacyOffsetsBefore(ListOffsetsTimestamp.Latest, 1).Error);
        Assert.Equal(ReplicaFixture.OtherNode, _partition.Leadership.LeaderId);
    }

    [Fact]
    public void MakeFollower_WakesParkedFetches()
    {
        _partition.MakeLeader(1, 1, Nodes.Of(1), Nodes.Of(1));
        var parked = _partition.WaitForAppendAsync();

        _partition.MakeFollower(2, 2, ReplicaFixture.OtherNode, Nodes.Of(2, 1), Nodes.Of(2, 1));

        Assert.True(parked.IsCompleted);
    }

    [Fact]
    public async Task MarkOffline_AnswersStorageError_UntilItLeadsAgain()
    {
        _partition.MakeLeader(1, 1, Nodes.Of(1), Nodes.Of(1));

        Assert.True(_partition.MarkOffline());
        Assert.Equal(ErrorCode.KafkaStorageError, _partition.CheckLeaderEpoch(1));
        var refused = await Assert.ThrowsAsync<LogException>(() => _partition.AppendAsLeaderAsync(_fixture.Batch()));
        Assert.Equal(ErrorCode.KafkaStorageError, refused.ErrorCode);

        Assert.True(_partition.MakeLeader(1, 1, Nodes.Of(1), Nodes.Of(1)));
        Assert.Equal(0, (await _partition.AppendAsLeaderAsync(_fixture.Batch())).FirstOffset);
    }

    [Fact]
    public async Task AppendWithAcksAll_WithFewerInSyncReplicasThanRequired_IsNotEnoughReplicas()
    {
        var log = _fixture.Logs.GetLog(Orders)!;
        log.Config = log.Config with { MinInsyncReplicas = 2 };
        _partition.MakeLeader(1, 1, Nodes.Of(1, 2), Nodes.Of(1));

        var refused = await Assert.ThrowsAsync<LogException>(() => _partition.AppendAsLeaderAsync(_fixture.Batch(), requiredAcks: -1));

        Assert.Equal(ErrorCode.NotEnoughReplicas, refused.ErrorCode);
        Assert.Equal(0, _partition.LogEndOffset);
        Assert.Equal(0, (await _partition.AppendAsLeaderAsync(_fixture.Batch(), requiredAcks: 1)).FirstOffset);
    }

    [Fact]
    public async Task Offsets_FollowAppendsAndDeleteRecords()
    {
        _partition.MakeLeader(2, 2, Nodes.Of(1), Nodes.Of(1));
        await _partition.AppendAsLeaderAsync(_fixture.Batch(3));
        await _partition.AppendAsLeaderAsync(_fixture.Batch(2));

        Assert.Equal((0, 5, 5, 5), (_partition.LogStartOffset, _partition.LogEndOffset, _partition.HighWatermark, _partition.LastStableOffset));
        Assert.Equal(new OffsetLookup(ErrorCode.None, -1, 5, 2), _partition.FetchOffsetForTimestamp(ListOffsetsTimestamp.Latest, 2, readCommitted: false));
        Assert.Equal(ErrorCode.OffsetOutOfRange, _partition.DeleteRecordsOnLeader(6).Error);
        Assert.Equal((ErrorCode.None, 3L), _partition.DeleteRecordsOnLeader(3));
        Assert.Equal((ErrorCode.None, 3L), _partition.DeleteRecordsOnLeader(1));
        Assert.Equal(new OffsetLookup(ErrorCode.None, -1, 3, 2), _partition.FetchOffsetForTimestamp(ListOffsetsTimestamp.Earliest, -1, readCommitted: false));
        var belowStart = _partition.Read(new PartitionFetch(1, 1000));
        Assert.Equal((ErrorCode.OffsetOutOfRange, 3L), (belowStart.Error, belowStart.LogStartOffset));
        Assert.Equal(ErrorCode.OffsetOutOfRange, _partition.Read(new PartitionFetch(6, 1000)).Error);
        Assert.True(_partition.Size > 0);
    }
}
