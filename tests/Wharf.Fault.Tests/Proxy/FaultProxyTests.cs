using System.Diagnostics;
using System.Net.Sockets;
using Wharf.Fault.Tests.Infrastructure;
using Wharf.Testing.Faults;

namespace Wharf.Fault.Tests.Proxy;

/// <summary>
/// The fault proxy over real sockets, in front of an echo server standing in for broker 1: every rule on the link the
/// connection belongs to (learnt from the client id of its first frame), both ways, on open and new connections, and
/// that every connection it carried is closed on both sides afterwards.
/// </summary>
public sealed class FaultProxyTests : IAsyncLifetime
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);
    private readonly FaultNetwork _network = new();
    private readonly EchoServer _server = new();
    private FaultProxy _proxy = null!;

    private static FaultEndpoint Broker1 => FaultEndpoint.Broker(1);

    public Task InitializeAsync()
    {
        _proxy = FaultProxy.ForKafka(_network, 1, _server.Endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Pass_ForwardsFramesBothWays_AndIdentifiesTheSourceByClientId()
    {
        using var client = await TestClient.ConnectAsync(_proxy.Endpoint);
        var frame = TestClient.Frame(18, 7, "wharf-broker-2-markers");
        await client.SendAsync(frame);

        Assert.Equal(frame, await client.ReadAsync(frame.Length, Long));
        await Wait.UntilAsync(() => _network.OpenConnections == 1, "the connection to register");
        _network.Set(FaultEndpoint.Broker(2), Broker1, LinkRule.ResetConnections);
        Assert.Equal(SocketError.ConnectionReset, await client.WaitForEndAsync(Long));
    }

    [Fact]
    public async Task Blackhole_HoldsBytesOnOpenAndNewConnectionsWithoutClosing_AndHealDeliversThem()
    {
        using var open = await TestClient.ConnectAsync(_proxy.Endpoint);
        await open.SendFrameAsync(3, 1, "rdkafka");
        Assert.NotNull(await open.ReadAsync(TestClient.Frame(3, 1, "rdkafka").Length, Long));

        _network.SetBothWays(FaultEndpoint.Clients, Broker1, LinkRule.Blackhole);
        var frame = TestClient.Frame(3, 2, "rdkafka");
        await open.SendAsync(frame);
        using var fresh = await TestClient.ConnectAsync(_proxy.Endpoint);
        await fresh.SendAsync(frame);

        Assert.Null(await open.ReadAsync(frame.Length, Quiet));
        Assert.Null(await fresh.ReadAsync(frame.Length, Quiet));

        _network.HealAll();
        Assert.Equal(frame, await open.ReadAsync(frame.Length, Long));
        Assert.Equal(frame, await fresh.ReadAsync(frame.Length, Long));
    }

    [Fact]
    public async Task OneWayBlackhole_LetsRequestsThrough_ButHoldsTheAnswers()
    {
        using var client = await TestClient.ConnectAsync(_proxy.Endpoint);
        await client.SendFrameAsync(0, 1, "wharf-broker-3");
        Assert.NotNull(await client.ReadAsync(TestClient.Frame(0, 1, "wharf-broker-3").Length, Long));

        _network.Set(Broker1, FaultEndpoint.Broker(3), LinkRule.Blackhole);
        var frame = TestClient.Frame(0, 2, "wharf-broker-3");
        await client.SendAsync(frame);

        Assert.Null(await client.ReadAsync(frame.Length, Quiet));
        _network.Set(Broker1, FaultEndpoint.Broker(3), LinkRule.Pass);
        Assert.Equal(frame, await client.ReadAsync(frame.Length, Long));
    }

    [Fact]
    public async Task RulesOfOtherLinks_DoNotTouchAConnection()
    {
        _network.SetBothWays(FaultEndpoint.Broker(2), Broker1, LinkRule.Blackhole);
        _network.Isolate(1, IsolationScope.FromEtcd);
        using var client = await TestClient.ConnectAsync(_proxy.Endpoint);
        var frame = TestClient.Frame(1, 1, "a-client");

        await client.SendAsync(frame);

        Assert.Equal(frame, await client.ReadAsync(frame.Length, Long));
    }

    [Fact]
    public async Task Delay_SlowsEveryChunkByTheDelay_WithoutSerialisingThem()
    {
        _network.Set(FaultEndpoint.Clients, Broker1, LinkRule.Delayed(TimeSpan.FromMilliseconds(200)));
        using var client = await TestClient.ConnectAsync(_proxy.Endpoint);
        var frames = Enumerable.Range(1, 10).Select(i => TestClient.Frame(1, i, "c")).ToArray();
        var clock = Stopwatch.StartNew();

        foreach (var frame in frames)
        {
            await client.SendAsync(frame);
        }

        Assert.Equal(frames.SelectMany(f => f), await client.ReadAsync(frames.Sum(f => f.Length), Long));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(190), TimeSpan.FromMilliseconds(1500));
    }

    [Fact]
    public async Task HoldApi_DelaysThatApisFrames_AndWhatFollowsThemOnTheConnection_ButNotOtherConnections()
    {
        const short EndTxn = 26;
        _network.Set(FaultEndpoint.Clients, Broker1, LinkRule.Hold(EndTxn, TimeSpan.FromSeconds(1)));
        using var held = await TestClient.ConnectAsync(_proxy.Endpoint);
        using var other = await TestClient.ConnectAsync(_proxy.Endpoint);
        var endTxn = TestClient.Frame(EndTxn, 1, "txn");
        var produce = TestClient.Frame(0, 2, "txn");
        var clock = Stopwatch.StartNew();

        byte[] both = [.. endTxn, .. produce];
        await held.SendAsync(both);
        await other.SendAsync(produce);

        Assert.Equal(produce, await other.ReadAsync(produce.Length, Long));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(900), $"a produce on another connection took {clock.Elapsed}");
        Assert.Equal(both, await held.ReadAsync(both.Length, Long));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"EndTxn came back after {clock.Elapsed}");
    }

    [Fact]
    public async Task Reset_ResetsOpenConnections_AndEveryNewOne_UntilHealed()
    {
        using var open = await TestClient.ConnectAsync(_proxy.Endpoint);
        await open.SendFrameAsync(3, 1, "rdkafka");
        Assert.NotNull(await open.ReadAsync(TestClient.Frame(3, 1, "rdkafka").Length, Long));

        _network.Set(Broker1, FaultEndpoint.Clients, LinkRule.ResetConnections);

        Assert.Equal(SocketError.ConnectionReset, await open.WaitForEndAsync(Long));
        using var fresh = await TestClient.ConnectAsync(_proxy.Endpoint);
        await fresh.SendFrameAsync(3, 2, "rdkafka");
        Assert.Equal(SocketError.ConnectionReset, await fresh.WaitForEndAsync(Long));

        _network.HealAll();
        using var healed = await TestClient.ConnectAsync(_proxy.Endpoint);
        var frame = TestClient.Frame(3, 3, "rdkafka");
        await healed.SendAsync(frame);
        Assert.Equal(frame, await healed.ReadAsync(frame.Length, Long));
    }

    [Fact]
    public async Task AClientThatCloses_ClosesTheServerSide_AndTheProxyKeepsNothingOpen()
    {
        for (var i = 0; i < 20; i++)
        {
            using var client = await TestClient.ConnectAsync(_proxy.Endpoint);
            await client.SendFrameAsync(18, i, "rdkafka");
            Assert.NotNull(await client.ReadAsync(TestClient.Frame(18, i, "rdkafka").Length, Long));
            client.Shutdown();
            Assert.Equal(SocketError.Success, await client.WaitForEndAsync(Long));
        }

        await Wait.UntilAsync(() => _server.Closed == 20 && _proxy.OpenConnections == 0 && _network.OpenConnections == 0, "every connection to close");
    }

    [Fact]
    public async Task AServerThatCloses_ClosesTheClientSide()
    {
        var client = await TestClient.ConnectAsync(_proxy.Endpoint);
        await client.SendFrameAsync(18, 1, "rdkafka");
        Assert.NotNull(await client.ReadAsync(TestClient.Frame(18, 1, "rdkafka").Length, Long));

        _server.CloseAll();

        Assert.NotNull(await client.WaitForEndAsync(Long));
        client.Dispose();
        await Wait.UntilAsync(() => _proxy.OpenConnections == 0, "the proxy to let the connection go");
    }

    [Fact]
    public async Task ATargetThatIsDown_IsRefusedThroughTheProxyToo_UntilItListensAgain()
    {
        await using var down = new ProxyOnly();

        // The first client learns it by a reset: after its connection was accepted, or, when the proxy stops listening
        // while that connection still waits in its backlog, during the handshake.
        try
        {
            using var first = await TestClient.ConnectAsync(down.Proxy.Endpoint);
            Assert.Equal(SocketError.ConnectionReset, await first.WaitForEndAsync(Long));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
        {
            // Reset (or already refused) before the handshake completed.
        }

        await Wait.UntilAsync(() => down.Proxy.IsTargetDown, "the proxy to see its target refuse");
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(down.Proxy.Endpoint));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        await using var back = new EchoServer(down.TargetPort);
        await Wait.UntilAsync(() => !down.Proxy.IsTargetDown, "the proxy to listen again");
        using var client = await TestClient.ConnectAsync(down.Proxy.Endpoint);
        var frame = TestClient.Frame(18, 1, "rdkafka");
        await client.SendAsync(frame);
        Assert.Equal(frame, await client.ReadAsync(frame.Length, Long));
    }

    [Fact]
    public async Task ATargetThatDies_EndsAnIdleUnidentifiedConnection()
    {
        await using var target = new EchoServer();
        await using var proxy = FaultProxy.ForKafka(_network, 2, target.Endpoint);
        using var idle = await TestClient.ConnectAsync(proxy.Endpoint);
        await Wait.UntilAsync(() => target.Accepted == 1, "the proxy to dial the target");

        target.CloseAll();

        Assert.Equal(SocketError.Success, await idle.WaitForEndAsync(Long));
    }

    [Fact]
    public async Task Dispose_ResetsOpenConnections_AndReturns()
    {
        var proxy = FaultProxy.ForKafka(_network, 1, _server.Endpoint);
        using var client = await TestClient.ConnectAsync(proxy.Endpoint);
        _network.SetBothWays(FaultEndpoint.Clients, Broker1, LinkRule.Blackhole);
        await client.SendFrameAsync(18, 1, "rdkafka");
        await Wait.UntilAsync(() => _network.OpenConnections == 1, "the connection to register");

        await proxy.DisposeAsync().AsTask().WaitAsync(Long);

        Assert.NotNull(await client.WaitForEndAsync(Long));
        Assert.Equal(0, proxy.OpenConnections);
    }

    [Fact]
    public async Task ATcpProxy_AppliesTheRulesOfItsFixedSource()
    {
        await using var etcdProxy = FaultProxy.ForTcp(_network, FaultEndpoint.Broker(2), FaultEndpoint.Etcd, _server.Endpoint);
        using var client = await TestClient.ConnectAsync(etcdProxy.Endpoint);
        byte[] bytes = [1, 2, 3, 4, 5];
        await client.SendAsync(bytes);
        Assert.Equal(bytes, await client.ReadAsync(bytes.Length, Long));

        _network.Isolate(2, IsolationScope.FromEtcd);
        await client.SendAsync(bytes);
        Assert.Null(await client.ReadAsync(bytes.Length, Quiet));

        _network.HealAll();
        Assert.Equal(bytes, await client.ReadAsync(bytes.Length, Long));
    }

    [Fact]
    public async Task RuleChangesFromManyThreads_WhileTrafficFlows_LoseAndReorderNothing()
    {
        using var client = await TestClient.ConnectAsync(_proxy.Endpoint);
        var frames = Enumerable.Range(0, 200).Select(i => TestClient.Frame(1, i, "c", bodyLength: 100)).ToArray();
        using var stop = new CancellationTokenSource();
        var flapping = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            while (!stop.IsCancellationRequested)
            {
                var rule = random.Next(3) switch { 0 => LinkRule.Blackhole, 1 => LinkRule.Delayed(TimeSpan.FromMilliseconds(random.Next(5))), _ => LinkRule.Pass };
                _network.Set(random.Next(2) == 0 ? FaultEndpoint.Clients : Broker1, random.Next(2) == 0 ? Broker1 : FaultEndpoint.Clients, rule);
                await Task.Yield();
            }
        })).ToArray();

        var sending = Task.Run(async () =>
        {
            foreach (var frame in frames)
            {
                await client.SendAsync(frame);
            }
        });
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(flapping);
        _network.HealAll();
        await sending;

        Assert.Equal(frames.SelectMany(f => f), await client.ReadAsync(frames.Sum(f => f.Length), Long));
    }

    /// <summary>A proxy whose target port has nothing listening.</summary>
    private sealed class ProxyOnly : IAsyncDisposable
    {
        public ProxyOnly()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            TargetPort = port;
            Proxy = FaultProxy.ForKafka(new FaultNetwork(), 9, $"127.0.0.1:{port}");
        }

        public int TargetPort { get; }

        public FaultProxy Proxy { get; }

        public ValueTask DisposeAsync() => Proxy.DisposeAsync();
    }
}
