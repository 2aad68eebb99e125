using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// The coordinator runtime on its own, over a <see cref="RegisterShard"/> and an in-memory log in virtual time:
/// election and resignation by leader epoch, loading, durable-write-then-apply, fencing of a deposed leadership's
/// writes, timers cancelled on resignation, and one partition never processed concurrently.
/// </summary>
public sealed class CoordinatorRuntimeTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryPartitionWriter _log = new();
    private readonly CoordinatorRuntime<RegisterShard> _runtime;

    public CoordinatorRuntimeTests() =>
        _runtime = new CoordinatorRuntime<RegisterShard>("__registers", 4, _log, context => new RegisterShard(context), _time, NullLogger.Instance);

    public void Dispose() => _runtime.Dispose();

    [Fact]
    public async Task Resignation_DropsTheState_AndAReElectionReplaysTheSameStateFromTheLog()
    {
        await _runtime.OnElection(1, 0).WaitAsync(Wait);
        Assert.Equal((ErrorCode.None, "a1"), await SetAsync(1, "a", "a1"));
        Assert.Equal((ErrorCode.None, "b1"), await SetAsync(1, "b", "b1"));
        Assert.Equal((ErrorCode.None, (string?)null), await SetAsync(1, "b", null));
        var first = Shard(1);

        _runtime.OnResignation(1, 1);
        Assert.True(first.Unloaded);
        Assert.Equal(ErrorCode.NotCoordinator, _runtime.Status(1));
        Assert.Equal("NOT_COORDINATOR", Get(1, "a"));
        Assert.Equal((ErrorCode.NotCoordinator, (string?)null), await SetAsync(1, "a", "a2"));

        _log.SetLeaderEpoch(1, 2);
        await _runtime.OnElection(1, 2).WaitAsync(Wait);
        Assert.NotSame(first, Shard(1));
        Assert.True(Shard(1).Loaded);
        Assert.Equal("a1", Get(1, "a"));
        Assert.Null(Get(1, "b"));
        Assert.Equal((ErrorCode.None, "a3"), await SetAsync(1, "a", "a3"));
    }

    [Fact]
    public async Task WhileLoading_RequestsGetLoadInProgress_AndOtherPartitionsAreNotLed()
    {
        var gate = new TaskCompletionSource();
        _log.ReadGate = gate.Task;
        var loading = _runtime.OnElection(2, 0);
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, _runtime.Status(2));
        Assert.True(_runtime.IsLoading);
        Assert.Equal("COORDINATOR_LOAD_IN_PROGRESS", Get(2, "a"));
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, (await SetAsync(2, "a", "x")).Error);
        Assert.Equal(ErrorCode.NotCoordinator, _runtime.Status(3));

        gate.SetResult();
        await loading.WaitAsync(Wait);
        Assert.Equal(ErrorCode.None, _runtime.Status(2));
        Assert.False(_runtime.IsLoading);
    }

    [Fact]
    public async Task ALogThatCannotBeRead_FailsTheElection_AndLeavesThePartitionNotLed()
    {
        _log.ReadFailure = new IOException("disk gone");
        await Assert.ThrowsAsync<IOException>(() => _runtime.OnElection(0, 0).WaitAsync(Wait));
        Assert.Equal(ErrorCode.NotCoordinator, _runtime.Status(0));

        _log.ReadFailure = null;
        await _runtime.OnElection(0, 0).WaitAsync(Wait); // a later election retries
        Assert.Equal(ErrorCode.None, _runtime.Status(0));
    }

    [Fact]
    public async Task AWrite_IsAnsweredAndVisibleOnlyOnceDurable()
    {
        await _runtime.OnElection(0, 0).WaitAsync(Wait);
        await SetAsync(0, "a", "old");
        _log.HoldWrites = true;
        var write = SetAsync(0, "a", "new");
        Assert.False(write.IsCompleted);
        Assert.Equal("old", Get(0, "a")); // reads see committed state only

        _log.ReleaseAll();
        Assert.Equal((ErrorCode.None, "new"), await write.WaitAsync(Wait));
        Assert.Equal("new", Get(0, "a"));
    }

    [Fact]
    public async Task AWriteWhoseAppendFails_ChangesNothing_AndIsAnsweredWithTheError()
    {
        await _runtime.OnElection(0, 0).WaitAsync(Wait);
        await SetAsync(0, "a", "old");
        _log.HoldWrites = true;
        var failed = new List<ErrorCode>();
        var write = _runtime.WriteAsync(
            0,
            shard => new CoordinatorResult<ErrorCode>([RegisterShard.Record("a", "new")], ErrorCode.None) { OnFailed = failed.Add, OnCommitted = () => failed.Add(ErrorCode.None) },
            error => error);
        _log.FailAll();
        Assert.Equal(ErrorCode.NotEnoughReplicas, await write.WaitAsync(Wait));
        Assert.Equal([ErrorCode.NotEnoughReplicas], failed);
        Assert.Equal("old", Get(0, "a"));
    }

    [Fact]
    public async Task AWriteOfADeposedLeadership_IsFencedByThePartition_AndAppliesNothing()
    {
        await _runtime.OnElection(0, 3).WaitAsync(Wait);
        _log.SetLeaderEpoch(0, 3);
        await SetAsync(0, "a", "mine");

        _log.SetLeaderEpoch(0, 4); // another broker leads now; this one has not been told yet
        Assert.Equal(ErrorCode.NotCoordinator, (await SetAsync(0, "a", "stale")).Error);
        Assert.Equal(1, _log.FencedCount);
        Assert.Equal("mine", Get(0, "a"));

        _runtime.OnResignation(0, 3); // a late resignation of an older leadership changes nothing
        Assert.Equal(ErrorCode.None, _runtime.Status(0));
        _runtime.OnResignation(0, 4);
        Assert.Equal(ErrorCode.NotCoordinator, _runtime.Status(0));
    }

    [Fact]
    public async Task AnElectionAtANewerEpoch_KeepsTheStateAndWritesAtThatEpoch_AndAnOlderOneIsIgnored()
    {
        await _runtime.OnElection(0, 5).WaitAsync(Wait);
        _log.SetLeaderEpoch(0, 5);
        await SetAsync(0, "a", "five");
        var shard = Shard(0);

        await _runtime.OnElection(0, 4).WaitAsync(Wait);
        Assert.Equal(5, _runtime.LeaderEpoch(0));

        _log.SetLeaderEpoch(0, 6);
        await _runtime.OnElection(0, 6).WaitAsync(Wait);
        Assert.Same(shard, Shard(0));
        Assert.Equal(6, _runtime.LeaderEpoch(0));
        Assert.Equal((ErrorCode.None, "six"), await SetAsync(0, "a", "six"));
        Assert.Equal(0, _log.FencedCount);
    }

    [Fact]
    public async Task PendingWrites_FailWithNotCoordinatorOnResignation_AndAreNeverApplied()
    {
        await _runtime.OnElection(0, 0).WaitAsync(Wait);
        var shard = Shard(0);
        _log.HoldWrites = true;
        var write = SetAsync(0, "a", "late");
        _runtime.OnResignation(0, null);
        Assert.Equal((ErrorCode.NotCoordinator, (string?)null), await write.WaitAsync(Wait));

        _log.ReleaseAll(); // the append became durable after all: the dropped shard must not see it
        await Task.Yield();
        Assert.Null(shard.Get("a"));
    }

    [Fact]
    public async Task Timers_RunOnTheLoopWhileLed_AndAreCancelledOnResignation()
    {
        await _runtime.OnElection(0, 0).WaitAsync(Wait);
        var shard = Shard(0);
        var context = _runtime.ContextOf(0)!;
        _runtime.Run(0, s => s.StartTimer(TimeSpan.FromSeconds(1)), _ => null!);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(3, shard.TimerFirings);
        Assert.Equal(1, context.TimerCount);

        _runtime.OnResignation(0, null);
        Assert.Equal(0, context.TimerCount);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, shard.TimerFirings);
    }

    [Fact]
    public async Task ADisposedTimer_NeverFiresAgain()
    {
        await _runtime.OnElection(0, 0).WaitAsync(Wait);
        var timer = _runtime.Run(0, s => s.StartTimer(TimeSpan.FromSeconds(1)), _ => null!);
        _time.Advance(TimeSpan.FromSeconds(1));
        _runtime.Run(0, _ => timer.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) && DisposeOf(timer), _ => false);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, Shard(0).TimerFirings);
        Assert.Equal(0, _runtime.ContextOf(0)!.TimerCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task OnePartition_IsNeverProcessedConcurrently_UnderRequestsTimersAndWriteCompletions(int seed)
    {
        for (var partition = 0; partition < _runtime.PartitionCount; partition++)
        {
            await _runtime.OnElection(partition, 0).WaitAsync(Wait);
            _runtime.Run(partition, shard => shard.SpinIterations = 200, _ => 0);
            _runtime.Run(partition, shard => shard.StartTimer(TimeSpan.FromMilliseconds(10)), _ => null!);
        }

        var random = new Random(seed);
        var plans = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 300).Select(_ => (Partition: random.Next(_runtime.PartitionCount), Write: random.Next(3) == 0, Key: "k" + random.Next(5))).ToList()).ToList();
        using var start = new Barrier(plans.Count + 1);
        var workers = plans.Select(plan => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                var writes = new List<Task<(ErrorCode, string?)>>();
                foreach (var (partition, write, key) in plan)
                {
                    if (write)
                    {
                        writes.Add(SetAsync(partition, key, key + "-v"));
                    }
                    else
                    {
                        Get(partition, key);
                    }
                }

                return Task.WhenAll(writes);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToList();
        var clock = Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < 200; i++)
                {
                    _time.Advance(TimeSpan.FromMilliseconds(5)); // timers fire on this thread, racing the requests
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        await Task.WhenAll([.. workers, clock]).WaitAsync(TimeSpan.FromSeconds(60));
        for (var partition = 0; partition < _runtime.PartitionCount; partition++)
        {
            var shard = Shard(partition);
            Assert.True(shard.Overlaps == 0, $"seed {seed}: partition {partition} ran {shard.Overlaps} events concurrently");
            Assert.True(shard.TimerFirings > 0, $"seed {seed}: partition {partition}'s timer never fired");
        }
    }

    private static bool DisposeOf(IDisposable disposable)
    {
        disposable.Dispose();
        return true;
    }

    private RegisterShard Shard(int partition) => _runtime.Run(partition, shard => shard, error => throw new InvalidOperationException($"partition {partition}: {error}"));

    private Task<(ErrorCode Error, string? Value)> SetAsync(int partition, string key, string? value) =>
        _runtime.WriteAsync(partition, shard => shard.Set(key, value), error => (error, null));

    private string? Get(int partition, string key) => _runtime.Run(partition, shard => shard.Get(key), error => error switch
    {
        ErrorCode.NotCoordinator => "NOT_COORDINATOR",
        ErrorCode.CoordinatorLoadInProgress => "COORDINATOR_LOAD_IN_PROGRESS",
        _ => error.ToString(),
    });
}
