using Wharf.Common;
using Wharf.Metadata;

namespace Wharf.Replication.Tests;

/// <summary>The replica manager following metadata deltas for node 1: leaders, followers, removals, failures, the leadership hook.</summary>
public sealed class ReplicaManagerDeltaTests : IDisposable
{
    private static readonly Guid OrdersId = new("00000000-0000-0000-0000-00000000000a");
    private static readonly TopicPartition Orders0 = new("orders", 0);
    private static readonly TopicPartition Orders1 = new("orders", 1);
    private readonly ReplicaFixture _fixture = new();
    private readonly List<LeadershipChange> _changes = [];

    public ReplicaManagerDeltaTests() => _fixture.Replicas.WatchLeadership(_changes.Add);

    public void Dispose() => _fixture.Dispose();

    private ReplicaManager Replicas => _fixture.Replicas;

    [Fact]
    public void ApplyDelta_LeadsWhatTheImageSaysThisNodeLeads_AndFollowsTheRest()
    {
        _fixture.Change(
            new TopicRecord("orders", OrdersId),
            ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 4),
            ReplicaFixture.Partition(OrdersId, 1, leader: 2, leaderEpoch: 6, 2, 1));

        var leader = Replicas.GetPartitionOrError(Orders0);
        Assert.Equal((PartitionRole.Leader, 4, ErrorCode.None), (leader.Partition!.Role, leader.Partition.LeaderEpoch, leader.Error));
        var follower = Replicas.GetPartitionOrError(Orders1).Partition!;
        Assert.Equal((PartitionRole.Follower, 2, 6), (follower.Role, follower.Leadership.LeaderId, follower.LeaderEpoch));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, follower.CheckLeaderEpoch(-1));
        Assert.Equal([new LeadershipChange(Orders0, true, 4)], _changes);
    }

    [Fact]
    public void ReplicationStats_CountUnderReplicatedLeadersAndPartitionsWithoutALeader()
    {
        _fixture.Change(
            new TopicRecord("orders", OrdersId),
            new PartitionRecord(OrdersId, 0, [1, 2], [1], 1, 3, 3),
            ReplicaFixture.Partition(OrdersId, 1, leader: 1, leaderEpoch: 2, 1, 2),
            new PartitionRecord(OrdersId, 2, [2], [2], -1, 5, 5));

        var stats = Replicas.ReplicationStats();
        Assert.Equal((2, 1, 1), (stats.LeaderPartitions, stats.UnderReplicatedPartitions, stats.OfflinePartitions));
    }

    [Fact]
    public void GetPartitionOrError_AnswersAsKafkaForPartitionsNotHostedHere()
    {
        _fixture.Change(
            new TopicRecord("orders", OrdersId),
            ReplicaFixture.Partition(OrdersId, 0, leader: 2, leaderEpoch: 0));

        Assert.Equal((null, ErrorCode.NotLeaderOrFollower), Replicas.GetPartitionOrError(Orders0));
        Assert.Equal((null, ErrorCode.UnknownTopicOrPartition), Replicas.GetPartitionOrError(Orders1));
        Assert.Equal((null, ErrorCode.UnknownTopicOrPartition), Replicas.GetPartitionOrError(new TopicPartition("payments", 0)));
        Assert.Null(Replicas.Logs.GetLog(Orders0));
    }

    [Fact]
    public void ApplyDelta_WhenLeadershipMovesAwayAndBack_AnnouncesResignationThenTheNewTerm()
    {
        _fixture.Change(new TopicRecord("orders", OrdersId), ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 0, 1, 2));
        var partition = Replicas.GetPartition(Orders0)!;

        _fixture.Change(ReplicaFixture.Partition(OrdersId, 0, leader: 2, leaderEpoch: 1, 1, 2));
        Assert.Equal(PartitionRole.Follower, partition.Role);
        _fixture.Change(ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 2, 1, 2));

        Assert.Same(partition, Replicas.GetPartition(Orders0));
        Assert.Equal((PartitionRole.Leader, 2), (partition.Role, partition.LeaderEpoch));
        Assert.Equal(
            [new LeadershipChange(Orders0, true, 0), new LeadershipChange(Orders0, false, 1), new LeadershipChange(Orders0, true, 2)],
            _changes);
    }

    [Fact]
    public void ApplyDelta_OfAnUnrelatedChange_LeavesPartitionsAlone()
    {
        _fixture.Change(new TopicRecord("orders", OrdersId), ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 3));

        _fixture.Change(new ProducerIdsRecord(1, -1, 1000), new ConfigRecord(ConfigResourceType.Topic, "orders", "retention.ms", "1000"));

        Assert.Equal([new LeadershipChange(Orders0, true, 3)], _changes);
    }

    [Fact]
    public void ApplyDelta_WhenTheReplicaMovesAway_StopsThePartitionAndDeletesItsLog()
    {
        _fixture.Change(new TopicRecord("orders", OrdersId), ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 0));
        var partition = Replicas.GetPartition(Orders0)!;

        _fixture.Change(ReplicaFixture.Partition(OrdersId, 0, leader: 2, leaderEpoch: 1));

        Assert.Equal(PartitionRole.Stopped, partition.Role);
        Assert.Null(Replicas.GetPartition(Orders0));
        Assert.Null(Replicas.Logs.GetLog(Orders0));
        Assert.Equal((null, ErrorCode.NotLeaderOrFollower), Replicas.GetPartitionOrError(Orders0));
        Assert.Equal(new LeadershipChange(Orders0, false, 0), _changes[^1]);
    }

    [Fact]
    public async Task ApplyDelta_TopicDeletedAndRecreated_StartsEmpty()
    {
        _fixture.Change(new TopicRecord("orders", OrdersId), ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 0));
        await Replicas.GetPartition(Orders0)!.AppendAsLeaderAsync(_fixture.Batch(3));
        var recreated = new Guid("00000000-0000-0000-0000-00000000000b");

        _fixture.Change(new RemoveTopicRecord(OrdersId), new TopicRecord("orders", recreated), ReplicaFixture.Partition(recreated, 0, leader: 1, leaderEpoch: 0));

        Assert.Equal(0, Replicas.GetPartition(Orders0)!.LogEndOffset);
        Assert.Equal(
            [new LeadershipChange(Orders0, true, 0), new LeadershipChange(Orders0, false, 0), new LeadershipChange(Orders0, true, 0)],
            _changes);
    }

    [Fact]
    public void ApplyDelta_WhenAPartitionCannotBeOpened_StopsServingIt_AndRetriesWithBackoffUntilItCan()
    {
        _fixture.Change(new TopicRecord("orders", OrdersId));

        // A file where the partition's directory must go: opening the log fails until it is removed.
        var blocker = Path.Combine(_fixture.Directory, Orders0.ToString());
        File.WriteAllText(blocker, "not a directory");
        _fixture.Change(ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 2), ReplicaFixture.Partition(OrdersId, 1, leader: 1, leaderEpoch: 2));

        Assert.Equal((null, ErrorCode.KafkaStorageError), Replicas.GetPartitionOrError(Orders0));
        Assert.True(Replicas.GetPartition(Orders1)!.IsLeader, "a healthy partition must not suffer from another's failure");
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal((null, ErrorCode.KafkaStorageError), Replicas.GetPartitionOrError(Orders0));

        // The second attempt failed, so the next waits 200 ms.
        File.Delete(blocker);
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.Equal((null, ErrorCode.KafkaStorageError), Replicas.GetPartitionOrError(Orders0));
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal((PartitionRole.Leader, 2), (Replicas.GetPartition(Orders0)!.Role, Replicas.GetPartition(Orders0)!.LeaderEpoch));
        Assert.Contains(new LeadershipChange(Orders0, true, 2), _changes);
    }

    [Fact]
    public void WatchLeadership_FirstReplaysEveryCurrentLeadership_ThenStopsWhenDisposed()
    {
        _fixture.Change(
            new TopicRecord("orders", OrdersId),
            ReplicaFixture.Partition(OrdersId, 1, leader: 1, leaderEpoch: 5),
            ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 3),
            ReplicaFixture.Partition(OrdersId, 2, leader: 2, leaderEpoch: 3, 2, 1));
        var seen = new List<LeadershipChange>();

        var watch = Replicas.WatchLeadership(seen.Add);
        watch.Dispose();
        _fixture.Change(ReplicaFixture.Partition(OrdersId, 0, leader: 2, leaderEpoch: 4, 2, 1));

        Assert.Equal([new LeadershipChange(Orders0, true, 3), new LeadershipChange(Orders1, true, 5)], seen);
    }

    [Fact]
    public void ApplyDelta_WhenAWatcherThrows_TheTransitionStillHappens()
    {
        Replicas.WatchLeadership(_ => throw new InvalidOperationException("coordinator bug"));

        _fixture.Change(new TopicRecord("orders", OrdersId), ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 0));

        Assert.True(Replicas.GetPartition(Orders0)!.IsLeader);
        Assert.Single(_changes);
    }
}
