using Wharf.Common;

namespace Wharf.Metadata.Tests;

/// <summary>
/// AlterPartitionReassignments and ListPartitionReassignments at the controller (KIP-455): a reassignment lists target
/// and removing replicas together until every new replica is in sync, then completes (electing a target replica when
/// the leader leaves); a cancel returns to the original replicas; bad targets and cancels of nothing are refused.
/// </summary>
public class ReassignmentTests
{
    private static readonly PartitionRecord OnOneTwoThree = SeededController.Partition(0, [1, 2, 3], [1, 2, 3], leader: 1);

    private static async Task<ReassignmentResult> ReassignAsync(SeededController seeded, int[]? replicas, int partition = 0, string topic = SeededController.Topic) =>
        Assert.Single(await seeded.Controller.AlterPartitionReassignmentsAsync([new ReassignmentRequest(topic, partition, replicas)], default));

    private static async Task<AlterPartitionResult> AlterIsrAsync(SeededController seeded, int leader, params int[] isr)
    {
        var partition = seeded[0];
        return Assert.Single(await seeded.Controller.AlterPartitionAsync(
            leader, [new IsrProposal(SeededController.TopicId, 0, partition.LeaderEpoch, partition.PartitionEpoch, [.. isr])], default));
    }

    [Fact]
    public async Task Reassign_ToNewReplicas_ListsTargetThenRemoving_WithAddingAndRemoving_AndKeepsTheLeader()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree]);

        var result = await ReassignAsync(seeded, [2, 3, 4]);

        Assert.Equal(ErrorCode.None, result.Error);
        var partition = seeded[0];
        Assert.Equal([2, 3, 4, 1], partition.Replicas.ToArray());
        Assert.Equal([4], partition.AddingReplicas.ToArray());
        Assert.Equal([1], partition.RemovingReplicas.ToArray());
        Assert.Equal([1, 2, 3], partition.Isr.ToArray());
        Assert.Equal((1, 5, 11), (partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch));
        var listed = Assert.Single(seeded.Controller.ListPartitionReassignments(null).Reassignments);
        Assert.Equal((SeededController.Topic, 0), (listed.Topic, listed.Partition));
        Assert.Equal([2, 3, 4, 1], listed.Replicas.ToArray());
        Assert.Equal([4], listed.AddingReplicas.ToArray());
        Assert.Equal([1], listed.RemovingReplicas.ToArray());
    }

    [Fact]
    public async Task Reassign_CompletesWhenTheNewReplicaJoinsTheIsr_ElectingATargetReplicaWhenTheLeaderLeaves()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree]);
        await ReassignAsync(seeded, [2, 3, 4]);

        var caughtUp = await AlterIsrAsync(seeded, 1, 1, 2, 3, 4);

        Assert.Equal(ErrorCode.NewLeaderElected, caughtUp.Error);
        var partition = seeded[0];
        Assert.Equal([2, 3, 4], partition.Replicas.ToArray());
        Assert.Equal([2, 3, 4], partition.Isr.ToArray());
        Assert.Empty(partition.AddingReplicas);
        Assert.Empty(partition.RemovingReplicas);
        Assert.Equal((2, 6, 12), (partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch));
        Assert.Equal((2, 6, 12), (caughtUp.Leader, caughtUp.LeaderEpoch, caughtUp.PartitionEpoch));
        Assert.Empty(seeded.Controller.ListPartitionReassignments(null).Reassignments);
    }

    [Fact]
    public async Task Reassign_CompletesWhenTheNewReplicaJoinsTheIsr_KeepingALeaderThatStays()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree]);
        await ReassignAsync(seeded, [1, 2, 4]);

        var caughtUp = await AlterIsrAsync(seeded, 1, 1, 2, 3, 4);

        Assert.Equal(ErrorCode.None, caughtUp.Error);
        Assert.Equal([1, 2, 4], seeded[0].Replicas.ToArray());
        Assert.Equal([1, 2, 4], seeded[0].Isr.ToArray());
        Assert.Equal((1, 5, 12), (seeded[0].Leader, seeded[0].LeaderEpoch, seeded[0].PartitionEpoch));
    }

    [Fact]
    public async Task Reassign_WhileTheNewReplicaIsNotInSync_DoesNotComplete()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree]);
        await ReassignAsync(seeded, [2, 3, 4]);

        var shrunk = await AlterIsrAsync(seeded, 1, 1, 2);

        Assert.Equal(ErrorCode.None, shrunk.Error);
        Assert.True(seeded[0].IsReassigning);
        Assert.Equal([2, 3, 4, 1], seeded[0].Replicas.ToArray());
    }

    [Fact]
    public async Task Reassign_ThatOnlyRemovesReplicas_CompletesAtOnce()
    {
        var seeded = SeededController.Start(3, [OnOneTwoThree]);

        await ReassignAsync(seeded, [2, 3]);

        var partition = seeded[0];
        Assert.False(partition.IsReassigning);
        Assert.Equal([2, 3], partition.Replicas.ToArray());
        Assert.Equal([2, 3], partition.Isr.ToArray());
        Assert.Equal((2, 6, 11), (partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch));
    }

    [Fact]
    public async Task Reassign_ToTheReplicasItHas_WritesNothing()
    {
        var seeded = SeededController.Start(3, [OnOneTwoThree]);

        var result = await ReassignAsync(seeded, [1, 2, 3]);

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Empty(seeded.Log.Batches);
    }

    [Fact]
    public async Task Reassign_ToANewTargetWhileOneIsInProgress_StartsFromTheOriginalReplicas()
    {
        var seeded = SeededController.Start(5, [OnOneTwoThree]);
        await ReassignAsync(seeded, [4, 2, 3]);

        await ReassignAsync(seeded, [5, 2, 3]);

        Assert.Equal([5, 2, 3, 1], seeded[0].Replicas.ToArray());
        Assert.Equal([5], seeded[0].AddingReplicas.ToArray());
        Assert.Equal([1], seeded[0].RemovingReplicas.ToArray());
        Assert.Equal([1, 2, 3], seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task Cancel_ReturnsToTheOriginalReplicas()
    {
        var seeded = SeededController.Start(6, [OnOneTwoThree]);
        await ReassignAsync(seeded, [4, 5, 6]);

        var result = await ReassignAsync(seeded, null);

        Assert.Equal(ErrorCode.None, result.Error);
        var partition = seeded[0];
        Assert.False(partition.IsReassigning);
        Assert.Equal([1, 2, 3], partition.Replicas.ToArray());
        Assert.Equal([1, 2, 3], partition.Isr.ToArray());
        Assert.Equal((1, 5, 12), (partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch));
    }

    [Fact]
    public async Task Cancel_WhenTheLeaderIsANewReplica_ElectsAnOriginalInSyncReplica()
    {
        var midway = SeededController.Partition(0, [4, 1, 2], [4, 1, 2], leader: 4) with { AddingReplicas = [4], RemovingReplicas = [2] };
        var seeded = SeededController.Start(4, [midway]);

        await ReassignAsync(seeded, null);

        Assert.Equal([1, 2], seeded[0].Replicas.ToArray());
        Assert.Equal([1, 2], seeded[0].Isr.ToArray());
        Assert.Equal((1, 6, 11), (seeded[0].Leader, seeded[0].LeaderEpoch, seeded[0].PartitionEpoch));
    }

    [Fact]
    public async Task Cancel_WhenOnlyNewReplicasAreInSync_IsRefusedWithoutUncleanElection()
    {
        var midway = SeededController.Partition(0, [4, 1], [4], leader: 4) with { AddingReplicas = [4], RemovingReplicas = [1] };
        var seeded = SeededController.Start(4, [midway]);

        var result = await ReassignAsync(seeded, null);

        Assert.Equal(ErrorCode.InvalidReplicaAssignment, result.Error);
        Assert.Contains("unclean", result.ErrorMessage);
        Assert.True(seeded[0].IsReassigning);
    }

    [Fact]
    public async Task Cancel_WhenOnlyNewReplicasAreInSync_WithUncleanElection_ElectsTheFirstOriginalReplica()
    {
        var midway = SeededController.Partition(0, [4, 1], [4], leader: 4) with { AddingReplicas = [4], RemovingReplicas = [1] };
        var seeded = SeededController.Start(4, [midway], topicConfigs: [("unclean.leader.election.enable", "true")]);

        var result = await ReassignAsync(seeded, null);

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal([1], seeded[0].Replicas.ToArray());
        Assert.Equal([1], seeded[0].Isr.ToArray());
        Assert.Equal(1, seeded[0].Leader);
    }

    [Fact]
    public async Task Cancel_WithNoReassignmentInProgress_IsNoReassignmentInProgress()
    {
        var seeded = SeededController.Start(3, [OnOneTwoThree]);

        var result = await ReassignAsync(seeded, null);

        Assert.Equal(ErrorCode.NoReassignmentInProgress, result.Error);
        Assert.Empty(seeded.Log.Batches);
    }

    public static TheoryData<string, string, int, int[], ErrorCode> Refusals() => new()
    {
        { "unknown topic", "missing", 0, [1, 2], ErrorCode.UnknownTopicOrPartition },
        { "unknown partition", SeededController.Topic, 3, [1, 2], ErrorCode.UnknownTopicOrPartition },
        { "empty target", SeededController.Topic, 0, [], ErrorCode.InvalidReplicaAssignment },
        { "a broker twice", SeededController.Topic, 0, [1, 2, 2], ErrorCode.InvalidReplicaAssignment },
        { "an unregistered broker", SeededController.Topic, 0, [1, 2, 9], ErrorCode.InvalidReplicaAssignment },
        { "a negative broker id", SeededController.Topic, 0, [1, -1], ErrorCode.InvalidReplicaAssignment },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Reassign_Refused_AnswersTheErrorAndWritesNothing(string why, string topic, int partition, int[] replicas, ErrorCode expected)
    {
        var seeded = SeededController.Start(3, [OnOneTwoThree]);

        var result = await ReassignAsync(seeded, replicas, partition, topic);

        Assert.True(expected == result.Error, $"{why}: {result.Error} {result.ErrorMessage}");
        Assert.NotNull(result.ErrorMessage);
        Assert.Empty(seeded.Log.Batches);
    }

    [Fact]
    public async Task Reassign_ToAFencedButRegisteredBroker_IsAccepted()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree], fenced: [4]);

        var result = await ReassignAsync(seeded, [1, 2, 4]);

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal([4], seeded[0].AddingReplicas.ToArray());
    }

    [Fact]
    public async Task Reassign_OfSeveralPartitions_AnswersEachAndCommitsOneBatch()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree, SeededController.Partition(1, [2, 3, 4], [2, 3, 4], leader: 2)]);

        var results = await seeded.Controller.AlterPartitionReassignmentsAsync(
        [
            new ReassignmentRequest(SeededController.Topic, 0, [2, 3, 4]),
            new ReassignmentRequest(SeededController.Topic, 1, null),
            new ReassignmentRequest(SeededController.Topic, 1, [1, 3, 4]),
        ], default);

        Assert.Equal([ErrorCode.None, ErrorCode.NoReassignmentInProgress, ErrorCode.None], results.Select(r => r.Error));
        Assert.Equal(2, Assert.Single(seeded.Log.Batches).Records.Count);
        Assert.Equal(2, seeded.Controller.ListPartitionReassignments(null).Reassignments.Count);
    }

    [Fact]
    public async Task Reassign_OnANodeThatIsNotTheController_IsNotController()
    {
        var seeded = SeededController.Start(3, [OnOneTwoThree]);
        seeded.Log.Leadership = new MetadataLeadership(2, 7);

        var result = await ReassignAsync(seeded, [2, 3, 1]);

        Assert.Equal(ErrorCode.NotController, result.Error);
        Assert.Equal(ErrorCode.NotController, seeded.Controller.ListPartitionReassignments(null).Error);
    }

    [Fact]
    public async Task ListPartitionReassignments_OfNamedPartitions_LeavesOutThoseNotBeingReassigned_AndRefusesAnUnknownTopic()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree, SeededController.Partition(1, [2, 3, 4], [2, 3, 4], leader: 2)]);
        await ReassignAsync(seeded, [1, 2, 4]);

        var named = seeded.Controller.ListPartitionReassignments([new(SeededController.Topic, [0, 1, 5])]);
        var unknown = seeded.Controller.ListPartitionReassignments([new("missing", [0])]);

        Assert.Equal(ErrorCode.None, named.Error);
        Assert.Equal(0, Assert.Single(named.Reassignments).Partition);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, unknown.Error);
        Assert.Empty(unknown.Reassignments);
    }

    [Fact]
    public async Task CreatePartitions_DuringAReassignment_UsesTheTargetReplicationFactor()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree]);
        await ReassignAsync(seeded, [2, 3, 4]);

        var result = Assert.Single(await seeded.Controller.CreatePartitionsAsync([new CreatePartitionsRequest(SeededController.Topic, 2)], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(3, seeded[1].Replicas.Length);
    }

    [Fact]
    public async Task FenceBroker_BeingRemoved_WhileLeading_MovesLeadershipToAnInSyncReplica()
    {
        var seeded = SeededController.Start(4, [OnOneTwoThree]);
        await ReassignAsync(seeded, [2, 3, 4]);

        await seeded.Controller.FenceBrokerAsync(1, SeededController.Broker(1).IncarnationId, default);

        Assert.Equal(2, seeded[0].Leader);
        Assert.Equal([2, 3], seeded[0].Isr.ToArray());
        Assert.True(seeded[0].IsReassigning);
    }
}
