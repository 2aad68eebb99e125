using System.Collections.Immutable;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>
/// The in-memory store that simulations of several nodes run on: shared log, election, broker sessions. Includes a
/// seeded schedule of elections, resignations, expiries and appends that checks the store's invariants.
/// </summary>
public sealed class InMemoryMetadataStoreTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Campaign_FirstCandidateIsElected_TheNextWaitsUntilItResigns()
    {
        var store = new InMemoryMetadataStore();
        var one = store.OpenLog(1);
        var two = store.OpenLog(2);

        var first = await one.CampaignAsync(default);
        var second = two.CampaignAsync(default).AsTask();

        Assert.Equal(new MetadataLeadership(1, 1), first);
        Assert.False(second.IsCompleted);
        await one.ResignAsync(default);
        Assert.Equal(new MetadataLeadership(2, 2), await second.WaitAsync(Timeout));
        Assert.Equal(new MetadataLeadership(2, 2), one.Leadership);
    }

    [Fact]
    public async Task Append_ByADeposedController_IsRefused_AndLeavesNothing()
    {
        var store = new InMemoryMetadataStore();
        var one = store.OpenLog(1);
        var two = store.OpenLog(2);
        var epoch = (await one.CampaignAsync(default)).Epoch;
        await one.AppendAsync([Topic("a")], epoch, default);

        var campaign = two.CampaignAsync(default).AsTask();
        store.DeposeController();
        var newEpoch = (await campaign.WaitAsync(Timeout)).Epoch;

        await Assert.ThrowsAsync<NotControllerException>(() => one.AppendAsync([Topic("b")], epoch, default).AsTask());
        Assert.Equal(1, await two.AppendAsync([Topic("c")], newEpoch, default));
        Assert.Equal(["a", "c"], store.Batches.SelectMany(b => b.Records).Cast<TopicRecord>().Select(t => t.Name));
    }

    [Fact]
    public async Task Append_AfterTheControllerResigned_IsRefusedEvenAtTheLastEpoch()
    {
        var store = new InMemoryMetadataStore();
        var one = store.OpenLog(1);
        var epoch = (await one.CampaignAsync(default)).Epoch;

        await one.ResignAsync(default);

        Assert.False(one.Leadership.HasController);
        await Assert.ThrowsAsync<NotControllerException>(() => one.AppendAsync([Topic("a")], epoch, default).AsTask());
    }

    [Fact]
    public async Task LeadershipChanged_IsRaisedOnEveryNode_InOrder()
    {
        var store = new InMemoryMetadataStore();
        var one = store.OpenLog(1);
        var two = store.OpenLog(2);
        var seenByTwo = new List<MetadataLeadership>();
        two.LeadershipChanged += seenByTwo.Add;

        await one.CampaignAsync(default);
        var campaign = two.CampaignAsync(default).AsTask();
        store.ExpireSession(1);
        await campaign.WaitAsync(Timeout);

        Assert.Equal([new(1, 1), new(-1, 1), new(2, 2)], seenByTwo);
    }

    [Fact]
    public async Task Follow_YieldsCommittedBatches_ThenEachNewOneAsItCommits()
    {
        var store = new InMemoryMetadataStore(new MetadataLeadership(1, 1));
        var log = store.OpenLog(1);
        await log.AppendAsync([Topic("a"), Topic("b")], 1, default);
        using var cts = new CancellationTokenSource(Timeout);
        await using var follower = store.OpenLog(2).FollowAsync(-1, cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await follower.MoveNextAsync());
        Assert.Equal(0, follower.Current.BaseOffset);
        var next = follower.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        await log.AppendAsync([Topic("c")], 1, default);
        Assert.True(await next);
        Assert.Equal(2, follower.Current.BaseOffset);
    }

    [Fact]
    public async Task Follow_FromBeforeASnapshot_AsksForTheSnapshot()
    {
        var store = new InMemoryMetadataStore(new MetadataLeadership(1, 1));
        var log = store.OpenLog(1);
        await log.AppendAsync([Topic("a")], 1, default);
        await log.AppendAsync([Topic("b")], 1, default);
        await log.WriteSnapshotAsync(new MetadataSnapshot(1, [Topic("a"), Topic("b")]), default);
        await log.AppendAsync([Topic("c")], 1, default);

        var error = await Assert.ThrowsAsync<MetadataSnapshotRequiredException>(async () =>
        {
            await foreach (var _ in log.FollowAsync(0, default))
            {
            }
        });

        Assert.Equal(1, error.SnapshotOffset);
        var snapshot = await log.ReadLatestSnapshotAsync(default);
        using var cts = new CancellationTokenSource(Timeout);
        await using var follower = log.FollowAsync(snapshot!.Offset, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await follower.MoveNextAsync());
        Assert.Equal(2, follower.Current.BaseOffset);
    }

    [Fact]
    public async Task Register_SecondLiveProcessWithTheSameNodeId_IsRefused_ARestartAfterExpiryIsNot()
    {
        var store = new InMemoryMetadataStore();
        var first = store.OpenRegistry(1);
        var second = store.OpenRegistry(1);
        await first.RegisterAsync(Registration(1), default);

        await Assert.ThrowsAsync<DuplicateBrokerRegistrationException>(() => second.RegisterAsync(Registration(1), default).AsTask());

        store.ExpireSession(1);
        store.RestoreSession(1);
        Assert.Equal(BrokerSessionState.Registered, first.Session.State);
        await first.UnregisterAsync(default);
        var epoch = await second.RegisterAsync(Registration(1), default);
        Assert.Equal(epoch, second.LiveBrokers[1].BrokerEpoch);
    }

    [Fact]
    public async Task ExpireSession_TheBrokerSeesItsSessionLost_OthersSeeItLeave_RestoreRegistersWithAHigherEpoch()
    {
        var store = new InMemoryMetadataStore();
        var one = store.OpenRegistry(1);
        var two = store.OpenRegistry(2);
        var sessions = new List<BrokerSession>();
        one.SessionChanged += sessions.Add;
        var liveSeenByTwo = new List<int[]>();
        two.LiveBrokersChanged += (_, after) => liveSeenByTwo.Add([.. after.Keys]);
        var epoch = await one.RegisterAsync(Registration(1), default);
        await two.RegisterAsync(Registration(2), default);

        store.ExpireSession(1);
        await Assert.ThrowsAsync<TimeoutException>(() => one.RegisterAsync(Registration(1), default).AsTask());
        store.RestoreSession(1);

        Assert.Equal(BrokerSessionState.Registered, sessions[0].State);
        Assert.Equal(BrokerSessionState.Lost, sessions[1].State);
        Assert.Equal(BrokerSessionState.Registered, sessions[2].State);
        Assert.True(sessions[2].BrokerEpoch > epoch);
        Assert.Equal([[1], [1, 2], [2], [1, 2]], liveSeenByTwo);
    }

    /// <summary>
    /// A seeded schedule over three nodes: campaigns, resignations, forced elections, session expiries and restores,
    /// appends by whoever believes it is controller. Invariants: epochs only grow, only the current controller's
    /// appends land, offsets stay contiguous, at most one live registration per node.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(2024)]
    public async Task SeededSchedule_KeepsTheInvariants(int seed)
    {
        var random = new Random(seed);
        var store = new InMemoryMetadataStore();
        var logs = Enumerable.Range(1, 3).Select(store.OpenLog).ToArray();
        var registries = Enumerable.Range(1, 3).Select(store.OpenRegistry).ToArray();
        var believedEpoch = new int?[3];
        var lastEpoch = 0;
        var accepted = 0;
        foreach (var log in logs)
        {
            log.LeadershipChanged += l =>
            {
                Assert.True(l.Epoch >= lastEpoch, $"seed {seed}: epoch went back from {lastEpoch} to {l.Epoch}");
                lastEpoch = l.Epoch;
            };
        }

        foreach (var registry in registries)
        {
            registry.LiveBrokersChanged += (_, after) => Assert.Equal(after.Count, after.Keys.Distinct().Count());
            await registry.RegisterAsync(Registration(registry.NodeId), default);
        }

        var campaigns = new Task<MetadataLeadership>?[3];
        for (var step = 0; step < 400; step++)
        {
            var node = random.Next(3);
            switch (random.Next(6))
            {
                case 0:
                    campaigns[node] ??= logs[node].CampaignAsync(default).AsTask();
                    break;
                case 1:
                    await logs[node].ResignAsync(default);
                    believedEpoch[node] = null;
                    break;
                case 2 when random.Next(4) == 0:
                    store.ExpireSession(node + 1);
                    break;
                case 3:
                    store.RestoreSession(node + 1);
                    break;
                default:
                    if (believedEpoch[node] is { } epoch)
                    {
                        var current = store.Leadership;
                        try
                        {
                            await logs[node].AppendAsync([Topic($"t{step}")], epoch, default);
                            Assert.True(current.ControllerId == node + 1 && current.Epoch == epoch, $"seed {seed}: a deposed controller appended at step {step}");
                            accepted++;
                        }
                        catch (NotControllerException)
                        {
                            Assert.False(current.ControllerId == node + 1 && current.Epoch == epoch, $"seed {seed}: the controller was refused at step {step}");
                            believedEpoch[node] = null;
                        }
                    }

                    break;
            }

            // A campaign ends once the store elected its node (its continuation runs on the thread pool).
            for (var i = 0; i < 3; i++)
            {
                if (campaigns[i] is { } campaign && store.Leadership.ControllerId == i + 1)
                {
                    believedEpoch[i] = (await campaign.WaitAsync(Timeout)).Epoch;
                    campaigns[i] = null;
                }
            }
        }

        var batches = store.Batches;
        Assert.Equal(accepted, batches.Count);
        Assert.Equal(Enumerable.Range(0, accepted).Select(i => (long)i), batches.Select(b => b.BaseOffset));
        Assert.True(accepted > 10, $"seed {seed}: only {accepted} appends landed; the schedule exercised too little");
    }

    private static TopicRecord Topic(string name) => new(name, Guid.NewGuid());

    private static BrokerRegistration Registration(int nodeId) =>
        new(nodeId, Guid.NewGuid(), ImmutableArray.Create(new Listener("PLAINTEXT", "127.0.0.1", 9090 + nodeId)), null);
}
