using System.Collections.Immutable;
using System.Diagnostics;
using Wharf.Configuration;
using Wharf.Metadata.Etcd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Wharf.Metadata.Etcd.Tests.Infrastructure.Nodes;

namespace Wharf.Metadata.Etcd.Tests;

/// <summary>Broker registration (service discovery) against one real etcd member.</summary>
public sealed class EtcdBrokerRegistryTests(SingleEtcdFixture etcd, ITestOutputHelper output) : IClassFixture<SingleEtcdFixture>
{
    [RequiresEtcdFact]
    public async Task Register_IsSeenByEveryNode_AndASecondLiveProcessWithTheSameNodeIdIsRefused()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var one = await ConnectAsync(connect, 1);
        await using var two = await ConnectAsync(connect, 2);
        await using var impostor = await ConnectAsync(connect, 1);

        var registration = Registration(1);
        var epoch = await one.Brokers.RegisterAsync(registration, default);
        await two.Brokers.RegisterAsync(Registration(2), default);

        var seen = await WaitForLiveAsync(two.Brokers, live => live.Count == 2);
        Assert.Equal(registration, seen[1].Registration);
        Assert.Equal(epoch, seen[1].BrokerEpoch);
        var refused = await Assert.ThrowsAsync<DuplicateBrokerRegistrationException>(() => impostor.Brokers.RegisterAsync(Registration(1) with { IncarnationId = Guid.NewGuid() }, default).AsTask());
        Assert.Equal(registration.IncarnationId, refused.LiveIncarnationId);

        // The same process may register again (e.g. with the ports it bound); its epoch grows.
        var again = await one.Brokers.RegisterAsync(registration with { Rack = "r1" }, default);
        Assert.True(again > epoch);
    }

    [RequiresEtcdFact]
    public async Task ACleanStop_RemovesTheRegistrationAtOnce_SoTheNodeIdCanBeReused()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var observer = await ConnectAsync(connect, 9);
        var first = await ConnectAsync(connect, 1);
        await first.Brokers.RegisterAsync(Registration(1), default);
        await WaitForLiveAsync(observer.Brokers, live => live.ContainsKey(1));

        await first.DisposeAsync();
        await WaitForLiveAsync(observer.Brokers, live => !live.ContainsKey(1));
        await using var restarted = await ConnectAsync(connect, 1);
        await restarted.Brokers.RegisterAsync(Registration(1) with { IncarnationId = Guid.NewGuid() }, default);
    }

    [RequiresEtcdFact]
    public async Task CutOff_TheBrokerDeclaresItsSessionLostBeforeOthersSeeTheLeaseExpire_AndRegistersAgainAfter()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        var ttl = TimeSpan.FromSeconds(2);
        await using var observer = await ConnectAsync(connect, 9);
        await using var broker = await ConnectAsync(connect, 1, sessionTimeout: ttl, heartbeat: TimeSpan.FromMilliseconds(300));
        var epoch = await broker.Brokers.RegisterAsync(Registration(1), default);
        await broker.Log.CampaignAsync(default);
        await WaitForLiveAsync(observer.Brokers, live => live.ContainsKey(1));

        var lostAt = 0L;
        var goneAt = 0L;
        var lost = WaitForAsync<BrokerSession>(h => broker.Brokers.SessionChanged += h, h => broker.Brokers.SessionChanged -= h,
            s => s.State == BrokerSessionState.Lost && Stamp(ref lostAt));
        var gone = WaitForLiveAsync(observer.Brokers, live => !live.ContainsKey(1) && Stamp(ref goneAt));
        var started = Stopwatch.GetTimestamp();
        broker.CutOffForTests = true;
        await Task.WhenAll(lost, gone).WaitAsync(WaitLimit);

        output.WriteLine($"session lost locally after {Stopwatch.GetElapsedTime(started, lostAt).TotalMilliseconds:0} ms, " +
            $"seen gone by another node after {Stopwatch.GetElapsedTime(started, goneAt).TotalMilliseconds:0} ms (TTL {ttl.TotalMilliseconds:0} ms)");
        Assert.True(lostAt <= goneAt, "the broker must give up before the cluster can see its lease expire");
        Assert.False(broker.Log.Leadership.ControllerId == 1, "a broker whose session is lost is not the controller");

        var back = WaitForAsync<BrokerSession>(h => broker.Brokers.SessionChanged += h, h => broker.Brokers.SessionChanged -= h, s => s.State == BrokerSessionState.Registered);
        broker.CutOffForTests = false;
        var registered = await back.WaitAsync(WaitLimit);
        Assert.True(registered.BrokerEpoch > epoch);
        var seen = await WaitForLiveAsync(observer.Brokers, live => live.TryGetValue(1, out var b) && b.BrokerEpoch == registered.BrokerEpoch);
        Assert.Equal(Registration(1).Endpoints.ToArray(), seen[1].Registration.Endpoints.ToArray());
    }

    /// <summary>Records when a condition first held (from the event handler, so the time is the event's own).</summary>
    private static bool Stamp(ref long at)
    {
        Interlocked.CompareExchange(ref at, Stopwatch.GetTimestamp(), 0);
        return true;
    }

    private static Task<ImmutableSortedDictionary<int, RegisteredBroker>> WaitForLiveAsync(IBrokerRegistry registry, Func<ImmutableSortedDictionary<int, RegisteredBroker>, bool> condition) =>
        WaitForAsync<ImmutableSortedDictionary<int, RegisteredBroker>>(
            h => registry.LiveBrokersChanged += Adapt(h), h => registry.LiveBrokersChanged -= Adapt(h), condition, () => registry.LiveBrokers);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Action<ImmutableSortedDictionary<int, RegisteredBroker>>,
        Action<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>>> Adapters = [];

    private static Action<ImmutableSortedDictionary<int, RegisteredBroker>, ImmutableSortedDictionary<int, RegisteredBroker>> Adapt(
        Action<ImmutableSortedDictionary<int, RegisteredBroker>> handler) => Adapters.GetValue(handler, h => (_, after) => h(after));

    private static readonly Guid Incarnation = Guid.NewGuid();

    private static BrokerRegistration Registration(int nodeId) =>
        new(nodeId, nodeId == 1 ? Incarnation : Guid.NewGuid(), ImmutableArray.Create(new Listener("PLAINTEXT", "127.0.0.1", 9090 + nodeId)), null);
}
