using Wharf.Common;

namespace Wharf.Metadata.Tests;

/// <summary>
/// <c>unclean.leader.election.enable</c> (broker default, topic override): when the leader of a partition is fenced and
/// no in-sync replica is live, the first live replica leads with ISR = [it] only where it is enabled; otherwise the
/// partition goes offline, and an offline partition comes back with the first of its replicas to return only where it
/// is enabled.
/// </summary>
public class UncleanLeaderElectionTests
{
    private static readonly PartitionRecord LastInSyncOnOne = SeededController.Partition(0, [1, 2, 3], [1], leader: 1);

    [Fact]
    public async Task FenceBroker_OfTheLastInSyncLeader_WithTheTopicOverride_ElectsTheFirstLiveReplica()
    {
        var seeded = SeededController.Start(3, [LastInSyncOnOne], topicConfigs: [("unclean.leader.election.enable", "true")]);

        Assert.Equal(ErrorCode.None, (await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default)).Error);

        var partition = seeded[0];
        Assert.Equal(2, partition.Leader);
        Assert.Equal([2], partition.Isr.ToArray());
        Assert.Equal((6, 11), (partition.LeaderEpoch, partition.PartitionEpoch));
    }

    [Fact]
    public async Task FenceBroker_OfAnInSyncFollower_RemovesItFromTheIsr_AndKeepsTheLeadersTerm()
    {
        var seeded = SeededController.Start(3, [SeededController.Partition(0, [1, 2, 3], [1, 2, 3], leader: 1)]);

        await seeded.Controller.FenceBrokerAsync(2, SeededController.Broker(2).IncarnationId, default);

        Assert.Equal(1, seeded[0].Leader);
        Assert.Equal([1, 3], seeded[0].Isr.ToArray());
        Assert.Equal((5, 11), (seeded[0].LeaderEpoch, seeded[0].PartitionEpoch));
    }

    [Fact]
    public async Task FenceBroker_OfTheLastInSyncLeader_WithTheBrokerDefault_ElectsTheFirstLiveReplica()
    {
        var seeded = SeededController.Start(3, [LastInSyncOnOne], fenced: [2], brokerConfig: ("unclean.leader.election.enable", "true"));

        await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default);

        Assert.Equal(3, seeded[0].Leader);
        Assert.Equal([3], seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task FenceBroker_OfTheLastInSyncLeader_WithoutUncleanElection_TakesThePartitionOffline()
    {
        var seeded = SeededController.Start(3, [LastInSyncOnOne]);

        await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default);

        Assert.Equal(-1, seeded[0].Leader);
        Assert.Equal([1], seeded[0].Isr.ToArray());
        Assert.Equal(6, seeded[0].LeaderEpoch);
    }

    [Fact]
    public async Task FenceBroker_WhenTheTopicOverrideDisablesWhatTheBrokerEnables_TakesThePartitionOffline()
    {
        var seeded = SeededController.Start(3, [LastInSyncOnOne], topicConfigs: [("unclean.leader.election.enable", "false")],
            brokerConfig: ("unclean.leader.election.enable", "true"));

        await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default);

        Assert.Equal(-1, seeded[0].Leader);
    }

    [Fact]
    public async Task FenceBroker_WithUncleanElection_StillPrefersALiveInSyncReplica()
    {
        var seeded = SeededController.Start(3, [SeededController.Partition(0, [1, 2, 3], [1, 3], leader: 1)],
            topicConfigs: [("unclean.leader.election.enable", "true")]);

        await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default);

        Assert.Equal(3, seeded[0].Leader);
        Assert.Equal([3], seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task FenceBroker_WithUncleanElectionButNoLiveReplica_TakesThePartitionOffline()
    {
        var seeded = SeededController.Start(3, [LastInSyncOnOne], fenced: [2, 3], topicConfigs: [("unclean.leader.election.enable", "true")]);

        await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default);

        Assert.Equal(-1, seeded[0].Leader);
        Assert.Equal([1], seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task ReplicaReturning_ToAnOfflinePartition_WithUncleanElection_BecomesItsLeader()
    {
        var offline = SeededController.Partition(0, [1, 2], [1], leader: -1);
        var seeded = SeededController.Start(2, [offline], fenced: [1, 2], topicConfigs: [("unclean.leader.election.enable", "true")]);

        await seeded.Controller.AcceptRegistrationAsync(SeededController.Broker(2) with { IncarnationId = Guid.NewGuid() }, rebalanceToPreferred: true, default);

        Assert.Equal(2, seeded[0].Leader);
        Assert.Equal([2], seeded[0].Isr.ToArray());
        Assert.Equal((6, 11), (seeded[0].LeaderEpoch, seeded[0].PartitionEpoch));
    }

    [Fact]
    public async Task ReplicaReturning_ToAnOfflinePartition_WithoutUncleanElection_LeavesItOffline()
    {
        var offline = SeededController.Partition(0, [1, 2], [1], leader: -1);
        var seeded = SeededController.Start(2, [offline], fenced: [1, 2]);

        await seeded.Controller.AcceptRegistrationAsync(SeededController.Broker(2) with { IncarnationId = Guid.NewGuid() }, rebalanceToPreferred: true, default);

        Assert.Equal(-1, seeded[0].Leader);
        Assert.Equal([1], seeded[0].Isr.ToArray());
        Assert.Equal(10, seeded[0].PartitionEpoch);
    }
}
