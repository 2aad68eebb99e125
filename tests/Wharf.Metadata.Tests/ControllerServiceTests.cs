using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>
/// Three nodes over one <see cref="InMemoryMetadataStore"/>, each with its own controller, log, registry and
/// <see cref="ControllerService"/>: one is elected, registrations reach every image, a change made on the controller
/// is followed everywhere, a non-controller is refused, an expired session fences the broker and its return brings its
/// partitions back, and a deposed controller is replaced by another at a higher epoch whose writes win.
/// </summary>
public sealed class ControllerServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly InMemoryMetadataStore _store = new();
    private readonly List<Node> _nodes = [];

    private sealed record Node(int Id, Controller Controller, InMemoryBrokerRegistry Registry, ControllerService Service, BrokerRegistration Registration);

    public async Task InitializeAsync()
    {
        foreach (var id in new[] { 1, 2, 3 })
        {
            var log = _store.OpenLog(id);
            var controller = new Controller(log, MetadataImage.Empty("sim", id, -1), TestConfigs.Broker(("node.id", $"{id}")), new ControllerOptions { SnapshotEveryRecords = 0 });
            var registry = _store.OpenRegistry(id);
            var service = new ControllerService(controller, log, registry);
            var registration = new BrokerRegistration(id, Guid.NewGuid(), [new Listener("PLAINTEXT", "127.0.0.1", 9090 + id)], Rack: null);
            _nodes.Add(new Node(id, controller, registry, service, registration));
        }

        foreach (var node in _nodes)
        {
            await node.Registry.RegisterAsync(node.Registration, default);
            node.Service.Start();
        }

        await EveryImageAsync(image => image.LiveBrokers.Count() == 3);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.Service.DisposeAsync();
        }
    }

    private Node Active => _nodes.Single(n => n.Controller.IsActive);

    /// <summary>Waits (on the images' own change events) until every node's image satisfies <paramref name="condition"/>.</summary>
    private Task EveryImageAsync(Func<MetadataImage, bool> condition) =>
        Task.WhenAll(_nodes.Select(n => ImageAsync(n.Controller, condition)));

    private static Task ImageAsync(Controller controller, Func<MetadataImage, bool> condition) =>
        controller.WaitForImageAsync(condition, new CancellationTokenSource(Patience).Token);

    private async Task<(ErrorCode Error, string? Message)> CreateAsync(Controller controller, string topic, int partitions)
    {
        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest(topic, partitions, 1)], false, default));
        return (result.Error, result.ErrorMessage);
    }

    [Fact]
    public async Task OneControllerIsElected_AndItsChangesReachEveryNode()
    {
        var active = Active;
        Assert.Equal(active.Id, _store.Leadership.ControllerId);

        Assert.Equal(ErrorCode.None, (await CreateAsync(active.Controller, "orders", 12)).Error);
        await EveryImageAsync(image => image.TryGetTopic("orders", out _));

        foreach (var node in _nodes)
        {
            Assert.True(node.Controller.Current.TryGetTopic("orders", out var topic));
            Assert.All(topic.Partitions.Values.GroupBy(p => p.Leader), g => Assert.Equal(4, g.Count()));
        }

        var follower = _nodes.First(n => n != active);
        Assert.Equal(ErrorCode.NotController, (await CreateAsync(follower.Controller, "refused", 1)).Error);
    }

    [Fact]
    public async Task AnExpiredSession_FencesTheBrokerEverywhere_AndItsReturnBringsItsPartitionsBack()
    {
        var active = Active;
        var victim = _nodes.First(n => n != active);
        await CreateAsync(active.Controller, "orders", 6);
        await EveryImageAsync(image => image.TryGetTopic("orders", out _));

        _store.ExpireSession(victim.Id);
        await EveryImageAsync(image => image.Brokers[victim.Id].Fenced);
        Assert.True(active.Controller.Current.TryGetTopic("orders", out var fenced));
        Assert.All(fenced.Partitions.Values.Where(p => p.Replicas[0] == victim.Id), p => Assert.Equal(-1, p.Leader));
        Assert.Equal(BrokerSessionState.Lost, victim.Registry.Session.State);

        _store.RestoreSession(victim.Id);
        await EveryImageAsync(image => !image.Brokers[victim.Id].Fenced
            && image.TryGetTopic("orders", out var topic) && topic.Partitions.Values.All(p => p.Leader == p.Replicas[0]));
    }

    [Fact]
    public async Task ADeposedController_IsReplacedAtAHigherEpoch_AndItsWritesAreFenced()
    {
        var first = Active;
        var epoch = _store.Leadership.Epoch;

        _store.ExpireSession(first.Id);
        await EveryImageAsync(image => image.Brokers[first.Id].Fenced);

        var second = Active;
        Assert.NotEqual(first.Id, second.Id);
        Assert.True(_store.Leadership.Epoch > epoch);
        Assert.Equal(ErrorCode.NotController, (await CreateAsync(first.Controller, "stale", 1)).Error);
        Assert.Equal(ErrorCode.None, (await CreateAsync(second.Controller, "fresh", 2)).Error);
        await Task.WhenAll(_nodes.Where(n => n != first).Select(n => ImageAsync(n.Controller, image => image.TryGetTopic("fresh", out _))));
        Assert.All(_nodes, n => Assert.False(n.Controller.Current.TryGetTopic("stale", out _)));
    }
}
