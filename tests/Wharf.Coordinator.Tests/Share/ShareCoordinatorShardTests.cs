using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Coordinator.Runtime;
using Wharf.Coordinator.Share;

namespace Wharf.Coordinator.Tests.Share;

/// <summary>The share coordinator's shard (fencing, replay) and the coordinator over a log it replays.</summary>
public class ShareCoordinatorShardTests
{
    private static readonly ShareKey Key = new("g", Guid.Parse("6f1c1a52-0b3e-4f43-9d1e-4b1d2a0c9f11"), 2);

    [Fact]
    public void Write_OfANewKey_IsOneRecordWhoseReplayMakesItReadable()
    {
        var shard = new ShareCoordinatorShard();
        var snapshot = Snapshot(stateEpoch: 0, leaderEpoch: 0, startOffset: 10);

        var result = shard.Write(Key, snapshot);

        Assert.Equal(ErrorCode.None, result.Response);
        var record = Assert.Single(result.Records);
        Assert.Null(shard.Read(Key)); // nothing changes before the record is replayed (durable)
        shard.Replay(record);
        Assert.Equal(10, shard.Read(Key)!.StartOffset);
        Assert.Equal(snapshot.Batches, shard.Read(Key)!.Batches);
        Assert.Equal(1, shard.Count);
    }

    [Fact]
    public void Write_AtAnOlderStateEpoch_IsFencedStateEpoch_EvenWithANewerLeaderEpoch()
    {
        var shard = WithState(Snapshot(stateEpoch: 2, leaderEpoch: 5, startOffset: 10));

        var result = shard.Write(Key, Snapshot(stateEpoch: 1, leaderEpoch: 9, startOffset: 20));

        Assert.Equal(ErrorCode.FencedStateEpoch, result.Response);
        Assert.Empty(result.Records);
        Assert.Equal(10, shard.Read(Key)!.StartOffset);
    }

    [Fact]
    public void Write_AtTheSameStateEpochFromAnOlderLeaderEpoch_IsFencedLeaderEpoch()
    {
        var shard = WithState(Snapshot(stateEpoch: 2, leaderEpoch: 5, startOffset: 10));

        var result = shard.Write(Key, Snapshot(stateEpoch: 2, leaderEpoch: 4, startOffset: 20));

        Assert.Equal(ErrorCode.FencedLeaderEpoch, result.Response);
        Assert.Empty(result.Records);
    }

    [Theory]
    [InlineData(2, 5)] // the same leadership writing again
    [InlineData(2, 6)] // a newer leader
    [InlineData(3, 0)] // a reset state: a newer state epoch wins whatever the leader epoch
    public void Write_AtTheSameOrANewerEpoch_IsAccepted(int stateEpoch, int leaderEpoch)
    {
        var shard = WithState(Snapshot(stateEpoch: 2, leaderEpoch: 5, startOffset: 10));

        var result = shard.Write(Key, Snapshot(stateEpoch, leaderEpoch, startOffset: 20));

        Assert.Equal(ErrorCode.None, result.Response);
        shard.Replay(Assert.Single(result.Records));
        Assert.Equal((stateEpoch, leaderEpoch, 20L), (shard.Read(Key)!.StateEpoch, shard.Read(Key)!.LeaderEpoch, shard.Read(Key)!.StartOffset));
    }

    [Fact]
    public void Delete_IsATombstoneWhoseReplayForgetsTheKey_AndOfAnUnknownKeyWritesNothing()
    {
        var shard = WithState(Snapshot(stateEpoch: 0, leaderEpoch: 0, startOffset: 10));

        var delete = shard.Delete(Key);

        Assert.Equal(ErrorCode.None, delete.Response);
        var tombstone = Assert.Single(delete.Records);
        Assert.Null(tombstone.Value);
        shard.Replay(tombstone);
        Assert.Null(shard.Read(Key));
        Assert.Equal(0, shard.Count);
        Assert.Empty(shard.Delete(Key).Records);
    }

    [Fact]
    public void Replay_KeepsTheNewestValuePerKey_AndOfGroupListsOnlyThatGroup()
    {
        var shard = new ShareCoordinatorShard();
        var other = Key with { Partition = 3 };
        var otherGroup = Key with { GroupId = "h" };
        shard.Replay(Record(Key, Snapshot(0, 0, 1)));
        shard.Replay(Record(other, Snapshot(0, 0, 2)));
        shard.Replay(Record(otherGroup, Snapshot(0, 0, 3)));
        shard.Replay(Record(Key, Snapshot(0, 1, 4)));

        Assert.Equal(3, shard.Count);
        Assert.Equal(4, shard.Read(Key)!.StartOffset);
        Assert.Equal([(Key, 4L), (other, 2L)], shard.OfGroup("g").Select(s => (s.Key, s.State.StartOffset)).OrderBy(s => s.Key.Partition));
    }

    [Fact]
    public void OnUnloaded_ForgetsEverything()
    {
        var shard = WithState(Snapshot(0, 0, 1));
        shard.OnUnloaded();
        Assert.Equal(0, shard.Count);
    }

    [Fact]
    public async Task Coordinator_AfterAReload_ReplaysWritesAndTombstones_AndStillFences()
    {
        var writer = new InMemoryPartitionWriter();
        var time = new FakeTimeProvider();
        var deleted = Key with { Partition = 9 };
        using (var coordinator = new ShareCoordinator(writer, partitions: 3, time))
        {
            await coordinator.LoadAllAsync().WaitAsync(GroupHarness.Wait);
            Assert.Equal(ErrorCode.None, await coordinator.WriteAsync(Key, Snapshot(1, 0, 10)).WaitAsync(GroupHarness.Wait));
            Assert.Equal(ErrorCode.None, await coordinator.WriteAsync(Key, Snapshot(1, 1, 15)).WaitAsync(GroupHarness.Wait));
            Assert.Equal(ErrorCode.None, await coordinator.WriteAsync(deleted, Snapshot(1, 0, 10)).WaitAsync(GroupHarness.Wait));
            Assert.Equal(ErrorCode.None, await coordinator.DeleteAsync(deleted).WaitAsync(GroupHarness.Wait));
        }

        using var reloaded = new ShareCoordinator(writer, partitions: 3, time);
        await reloaded.LoadAllAsync().WaitAsync(GroupHarness.Wait);

        var (error, state) = reloaded.Read(Key);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal((1, 1, 15L), (state!.StateEpoch, state.LeaderEpoch, state.StartOffset));
        Assert.Equal(Snapshot(1, 1, 15).Batches, state.Batches);
        Assert.Null(reloaded.Read(deleted).State);
        Assert.Equal([Key], reloaded.ReadGroup("g").Select(s => s.Key));
        Assert.Equal(ErrorCode.FencedLeaderEpoch, await reloaded.WriteAsync(Key, Snapshot(1, 0, 20)).WaitAsync(GroupHarness.Wait));
        Assert.Equal(15, reloaded.Read(Key).State!.StartOffset);
    }

    private static ShareSnapshot Snapshot(int stateEpoch, int leaderEpoch, long startOffset) =>
        new(stateEpoch, leaderEpoch, startOffset, [new StateBatch(startOffset, startOffset + 2, RecordState.Available, 1), new StateBatch(startOffset + 3, startOffset + 3, RecordState.Acknowledged, 1)]);

    private static CoordinatorRecord Record(ShareKey key, ShareSnapshot snapshot) =>
        CoordinatorRecord.Data(ShareStateRecords.Key(key), ShareStateRecords.Value(snapshot));

    private static ShareCoordinatorShard WithState(ShareSnapshot snapshot)
    {
        var shard = new ShareCoordinatorShard();
        shard.Replay(Record(Key, snapshot));
        return shard;
    }
}
