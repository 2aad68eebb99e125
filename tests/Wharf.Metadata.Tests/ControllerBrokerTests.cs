using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>
/// The controller over several brokers: placement over the live ones (balanced, rack-aware), fencing a broker whose
/// session ended (its partitions get another in-sync leader or go offline, epochs bumped) and its return.
/// </summary>
public class ControllerBrokerTests
{
    private readonly InMemoryMetadataLog _log = new();
    private readonly Controller _controller;

    public ControllerBrokerTests() =>
        _controller = new Controller(_log, MetadataImage.Empty("cluster", 1, 1), TestConfigs.Broker(), new ControllerOptions { SnapshotEveryRecords = 0 });

    private static BrokerRegistration Broker(int id, string? rack = null) =>
        new(id, Guid.NewGuid(), [new Listener("PLAINTEXT", "127.0.0.1", 9090 + id)], rack);

    private async Task<BrokerRegistration[]> RegisterAsync(params BrokerRegistration[] brokers)
    {
        foreach (var broker in brokers)
        {
            Assert.Equal(ErrorCode.None, (await _controller.AcceptRegistrationAsync(broker, rebalanceToPreferred: true, default)).Error);
        }

        return brokers;
    }

    private async Task<TopicImage> CreateAsync(string name, int partitions, short replicationFactor)
    {
        var result = Assert.Single(await _controller.CreateTopicsAsync([new CreateTopicRequest(name, partitions, replicationFactor)], false, default));
        Assert.True(result.Error == ErrorCode.None, result.ErrorMessage);
        Assert.True(_controller.Current.TryGetTopic(name, out var topic));
        return topic;
    }

    [Fact]
    public async Task CreateTopics_OverThreeBrokers_SpreadsLeadersEvenly()
    {
        await RegisterAsync(Broker(1), Broker(2), Broker(3));

        var topic = await CreateAsync("spread", 12, 1);

        Assert.All(topic.Partitions.Values.GroupBy(p => p.Leader), g => Assert.Equal(4, g.Count()));
        Assert.Equal([1, 2, 3], topic.Partitions.Values.Select(p => p.Leader).Distinct().Order());
    }

    [Fact]
    public async Task CreateTopics_WithReplicationFactor3_PutsEachReplicaOnADifferentBrokerAndSpreadsFollowers()
    {
        await RegisterAsync(Broker(1), Broker(2), Broker(3), Broker(4));

        var topic = await CreateAsync("replicated", 8, 3);

        Assert.All(topic.Partitions.Values, p => Assert.Equal(3, p.Replicas.Distinct().Count()));
        Assert.All(topic.Partitions.Values.GroupBy(p => p.Leader), g => Assert.Equal(2, g.Count()));
        Assert.All(topic.Partitions.Values.SelectMany(p => p.Replicas).GroupBy(r => r), g => Assert.Equal(6, g.Count()));
    }

    [Fact]
    public async Task CreateTopics_WithRacks_PutsTheReplicasOfAPartitionOnDifferentRacks()
    {
        var brokers = await RegisterAsync(Broker(1, "a"), Broker(2, "a"), Broker(3, "b"), Broker(4, "b"));
        var racks = brokers.ToDictionary(b => b.NodeId, b => b.Rack);

        var topic = await CreateAsync("racked", 16, 2);

        Assert.All(topic.Partitions.Values, p => Assert.NotEqual(racks[p.Replicas[0]], racks[p.Replicas[1]]));
    }

    [Fact]
    public async Task FenceBroker_TakesItsPartitionsOfflineWithABumpedEpoch_AndItsReturnBringsThemBack()
    {
        var brokers = await RegisterAsync(Broker(1), Broker(2), Broker(3));
        var before = await CreateAsync("orders", 6, 1);
        var onTwo = before.Partitions.Values.Where(p => p.Leader == 2).Select(p => p.Partition).ToHashSet();
        Assert.NotEmpty(onTwo);

        Assert.Equal(ErrorCode.None, (await _controller.FenceBrokerAsync(2, brokers[1].IncarnationId, default)).Error);

        Assert.True(_controller.Current.Brokers[2].Fenced);
        Assert.DoesNotContain(2, _controller.Current.LiveBrokers.Select(b => b.NodeId));
        Assert.True(_controller.Current.TryGetTopic("orders", out var fenced));
        foreach (var partition in fenced.Partitions.Values)
        {
            var old = before.Partitions[partition.Partition];
            if (onTwo.Contains(partition.Partition))
            {
                Assert.Equal(-1, partition.Leader);
                Assert.Equal([2], partition.Isr.ToArray());
                Assert.Equal(old.LeaderEpoch + 1, partition.LeaderEpoch);
                Assert.Equal(old.PartitionEpoch + 1, partition.PartitionEpoch);
            }
            else
            {
                Assert.Equal(old, partition);
            }
        }

        var placedWhileFenced = await CreateAsync("later", 6, 1);
        Assert.DoesNotContain(2, placedWhileFenced.Partitions.Values.Select(p => p.Leader));
        var tooMany = Assert.Single(await _controller.CreateTopicsAsync([new CreateTopicRequest("rf3", 1, 3)], false, default));
        Assert.Equal(ErrorCode.InvalidReplicationFactor, tooMany.Error);

        var returned = Broker(2) with { Endpoints = [new Listener("PLAINTEXT", "127.0.0.1", 19092)] };
        await RegisterAsync(returned);

        Assert.False(_controller.Current.Brokers[2].Fenced);
        Assert.True(_controller.Current.TryGetTopic("orders", out var back));
        Assert.All(onTwo, p =>
        {
            Assert.Equal(2, back.Partitions[p].Leader);
            Assert.Equal(before.Partitions[p].LeaderEpoch + 2, back.Partitions[p].LeaderEpoch);
        });
    }

    [Fact]
    public async Task FenceBroker_WithReplicas_MovesLeadershipToTheNextInSyncReplica_WhichKeepsItUntilThePreferredIsInSync()
    {
        var brokers = await RegisterAsync(Broker(1), Broker(2), Broker(3));
        var before = await CreateAsync("replicated", 3, 3);
        var preferredOnOne = before.Partitions.Values.Single(p => p.Replicas[0] == 1);

        await _controller.FenceBrokerAsync(1, brokers[0].IncarnationId, default);

        Assert.True(_controller.Current.TryGetTopic("replicated", out var fenced));
        var moved = fenced.Partitions[preferredOnOne.Partition];
        Assert.Equal(preferredOnOne.Replicas[1], moved.Leader);
        Assert.DoesNotContain(1, moved.Isr);
        Assert.All(fenced.Partitions.Values, p => Assert.NotEqual(1, p.Leader));

        // Registered again but not back in the ISR (replication must catch it up first): the leader stays.
        await RegisterAsync(Broker(1));
        Assert.True(_controller.Current.TryGetTopic("replicated", out var after));
        Assert.Equal(moved.Leader, after.Partitions[preferredOnOne.Partition].Leader);
    }

    [Fact]
    public async Task FenceBroker_OfAnOldIncarnation_LeavesTheNewRegistrationAlone()
    {
        var first = (await RegisterAsync(Broker(2)))[0];
        await RegisterAsync(Broker(2));
        var offset = _log.CommittedOffset;

        Assert.Equal(ErrorCode.None, (await _controller.FenceBrokerAsync(2, first.IncarnationId, default)).Error);

        Assert.False(_controller.Current.Brokers[2].Fenced);
        Assert.Equal(offset, _log.CommittedOffset);
    }

    [Fact]
    public async Task AcceptRegistration_OnANodeThatIsNotTheController_AnswersNotController()
    {
        _log.Leadership = new MetadataLeadership(2, 7);

        var (error, message) = await _controller.AcceptRegistrationAsync(Broker(3), true, default);

        Assert.Equal(ErrorCode.NotController, error);
        Assert.Contains("node 2", message);
    }

    [Fact]
    public async Task Snapshot_OfAnImageWithAFencedBroker_RebuildsIt()
    {
        var brokers = await RegisterAsync(Broker(1), Broker(2));
        await CreateAsync("orders", 4, 1);
        await _controller.FenceBrokerAsync(2, brokers[1].IncarnationId, default);

        var rebuilt = _controller.Current.ToRecords().Aggregate(MetadataImage.Empty("cluster", 1, 1), (image, record) => image.Apply(record));

        Assert.True(rebuilt.Brokers[2].Fenced);
        Assert.Equal(_controller.Current.Brokers.Values.OrderBy(b => b.NodeId), rebuilt.Brokers.Values.OrderBy(b => b.NodeId));
        Assert.True(rebuilt.TryGetTopic("orders", out var topic));
        Assert.Equal([-1, -1], topic.Partitions.Values.Where(p => p.Replicas[0] == 2).Select(p => p.Leader).ToArray());
    }
}
