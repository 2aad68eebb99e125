using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Coordinator.Transaction;
using static Wharf.Coordinator.Tests.ClassicGroupTests;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// The group and transaction coordinators following leadership of their partitions: a resignation answers
/// NOT_COORDINATOR (parked requests included) and stops timers, a re-election rebuilds the same state from the log,
/// and prepared transactions are completed by the next leadership with its epoch as coordinator epoch.
/// </summary>
public class CoordinatorLeadershipTests
{
    private const string Group = "group-a";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GroupPartition_ResignedAndReElected_ServesTheSameGroupsAndOffsets()
    {
        using var h = new GroupHarness();
        var (a, b) = await StableTwoMembersAsync(h);
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, a, 2, "topic", 0, 100));
        var partition = h.Coordinator.PartitionFor(Group);

        h.Coordinator.OnResignation(partition, 1);
        Assert.Equal(ErrorCode.NotCoordinator, h.Coordinator.CoordinatorStatus(Group));
        Assert.Equal(ErrorCode.NotCoordinator, h.Heartbeat(Group, a, 2));
        Assert.Equal(ErrorCode.NotCoordinator, await h.CommitAsync(Group, a, 2, "topic", 0, 101));
        Assert.DoesNotContain(h.Coordinator.ListGroups(), g => g.GroupId == Group);

        h.Writer.SetLeaderEpoch(partition, 1);
        await h.Coordinator.OnElection(partition, 1).WaitAsync(Wait);
        Assert.Equal(ErrorCode.None, h.Coordinator.CoordinatorStatus(Group));
        Assert.Equal("Stable", h.State(Group));
        Assert.Equal(100, h.Fetch(Group, "topic", 0).CommittedOffset);
        Assert.Equal(ErrorCode.None, h.Heartbeat(Group, a, 2));
        Assert.Equal(ErrorCode.None, h.Heartbeat(Group, b, 2));
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, b, 2, "topic", 1, 7));
    }

    [Fact]
    public async Task GroupPartition_Resigned_AnswersParkedJoinsWithNotCoordinator_AndStopsSessionTimers()
    {
        using var h = new GroupHarness();
        var (a, _) = await StableTwoMembersAsync(h);
        var partition = h.Coordinator.PartitionFor(Group);
        var context = h.Coordinator.Runtime.ContextOf(partition)!;
        var rejoin = h.JoinAsync(Group, a, metadata: GroupHarness.Subscription("topic", "other")); // a rebalance: parked until b rejoins
        Assert.False(rejoin.IsCompleted);
        Assert.True(context.TimerCount > 2); // two sessions, the join timer, offset expiry

        h.Coordinator.OnResignation(partition, null);
        Assert.Equal((short)ErrorCode.NotCoordinator, (await rejoin.WaitAsync(Wait)).ErrorCode);
        Assert.Equal(0, context.TimerCount);
        var appends = h.Writer.AppendCount;
        h.Time.Advance(TimeSpan.FromHours(1)); // no session, rebalance or expiry event of the old leadership runs
        Assert.Equal(appends, h.Writer.AppendCount);
    }

    [Fact]
    public async Task TransactionPartition_ReElectedAtANewEpoch_CompletesThePreparedTransactionWithThatCoordinatorEpoch()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var log = new InMemoryPartitionWriter();
        var markers = new HeldMarkerWriter();
        var options = new TransactionCoordinatorOptions { StateTopicPartitions = 1, AbortTimedOutTransactionsInterval = TimeSpan.FromSeconds(1) };
        using var coordinator = new TransactionCoordinator(log, markers, _ => Task.FromResult((ErrorCode.None, 7L)), options, time);
        await coordinator.OnElection(0, 0).WaitAsync(Wait);
        var (_, id, epoch) = await coordinator.InitProducerIdAsync("app", 5_000).WaitAsync(Wait);
        await coordinator.AddPartitionsAsync("app", id, epoch, [new TopicPartition("orders", 0)]).WaitAsync(Wait);
        Assert.Equal(ErrorCode.None, await coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        await markers.Attempted.Task.WaitAsync(Wait); // the first leadership is writing the markers

        coordinator.OnResignation(0, 3);
        Assert.Equal(ErrorCode.NotCoordinator, await coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        time.Advance(TimeSpan.FromMinutes(1)); // the old leadership's timer is gone: nothing aborts or retries
        Assert.Empty(markers.Written);

        log.SetLeaderEpoch(0, 3);
        markers.Release();
        await coordinator.OnElection(0, 3).WaitAsync(Wait);
        var deadline = DateTime.UtcNow + Wait;
        while (coordinator.DescribeTransaction("app").Description?.Snapshot.State != TransactionState.CompleteCommit)
        {
            Assert.True(DateTime.UtcNow < deadline, "the re-elected coordinator did not complete the transaction");
            await Task.Delay(5);
        }

        var marker = Assert.Single(markers.Written);
        Assert.Equal(new TransactionMarker(id, epoch, 3, Commit: true), marker);
    }

    /// <summary>Marker writes wait (cancellably) until released; what was written after release is recorded.</summary>
    private sealed class HeldMarkerWriter : ITransactionMarkerWriter
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Attempted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<TransactionMarker> Written { get; } = [];

        public void Release() => _released.TrySetResult();

        public async Task<IReadOnlyList<(TopicPartition Partition, ErrorCode Error)>> WriteMarkersAsync(TransactionMarker marker, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
        {
            Attempted.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
            lock (Written)
            {
                Written.Add(marker);
            }

            return [];
        }
    }
}
