using Wharf.Common;

namespace Wharf.Metadata.Tests;

/// <summary>
/// AlterPartition at the controller: a partition leader's ISR proposal is checked against the current leader, leader
/// epoch and partition epoch and the brokers it names; an accepted change is one committed PartitionRecord with the
/// partition epoch bumped, an unchanged ISR writes nothing, and every refusal leaves the image as it was.
/// </summary>
public class AlterPartitionTests
{
    private readonly SeededController _seeded = SeededController.Start(4, [SeededController.Partition(0, [1, 2, 3], [1, 2, 3], leader: 1)]);

    private static IsrProposal Proposal(int[] isr, int leaderEpoch = 5, int partitionEpoch = 10, int partition = 0, Guid? topicId = null) =>
        new(topicId ?? SeededController.TopicId, partition, leaderEpoch, partitionEpoch, [.. isr]);

    private async Task<AlterPartitionResult> AlterAsync(IsrProposal proposal, int brokerId = 1) =>
        Assert.Single(await _seeded.Controller.AlterPartitionAsync(brokerId, [proposal], default));

    [Fact]
    public async Task AlterPartition_ShrinkingTheIsr_CommitsItWithTheNextPartitionEpoch_AndAnswersTheNewState()
    {
        var result = await AlterAsync(Proposal([1, 2]));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal((1, 5, 11), (result.Leader, result.LeaderEpoch, result.PartitionEpoch));
        Assert.Equal([1, 2], result.Isr.ToArray());
        Assert.Equal([1, 2], _seeded[0].Isr.ToArray());
        Assert.Equal((1, 5, 11), (_seeded[0].Leader, _seeded[0].LeaderEpoch, _seeded[0].PartitionEpoch));
        Assert.Equal([1, 2, 3], _seeded[0].Replicas.ToArray());
        var committed = Assert.IsType<PartitionRecord>(Assert.Single(Assert.Single(_seeded.Log.Batches).Records));
        Assert.Equal([1, 2], committed.Isr.ToArray());
    }

    [Fact]
    public async Task AlterPartition_ExpandingTheIsrAgain_IsAcceptedAtTheNewEpoch()
    {
        await AlterAsync(Proposal([1, 2]));

        var result = await AlterAsync(Proposal([1, 2, 3], partitionEpoch: 11));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(12, result.PartitionEpoch);
        Assert.Equal([1, 2, 3], _seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task AlterPartition_WithTheIsrItHas_AnswersTheCurrentStateWithoutWriting()
    {
        var result = await AlterAsync(Proposal([3, 1, 2]));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(10, result.PartitionEpoch);
        Assert.Equal([1, 2, 3], result.Isr.ToArray());
        Assert.Empty(_seeded.Log.Batches);
    }

    public static TheoryData<string, IsrProposal, int, ErrorCode> Refusals() => new()
    {
        { "unknown topic id", Proposal([1, 2], topicId: Guid.NewGuid()), 1, ErrorCode.UnknownTopicId },
        { "unknown partition", Proposal([1, 2], partition: 7), 1, ErrorCode.UnknownTopicOrPartition },
        { "stale leader epoch", Proposal([1, 2], leaderEpoch: 4), 1, ErrorCode.FencedLeaderEpoch },
        { "leader epoch newer than the controller's", Proposal([1, 2], leaderEpoch: 6), 1, ErrorCode.NotController },
        { "partition epoch newer than the controller's", Proposal([1, 2], partitionEpoch: 11), 1, ErrorCode.NotController },
        { "not the leader", Proposal([1, 2]), 2, ErrorCode.NotLeaderOrFollower },
        { "stale partition epoch", Proposal([1, 2], partitionEpoch: 9), 1, ErrorCode.InvalidUpdateVersion },
        { "empty ISR", Proposal([]), 1, ErrorCode.InvalidRequest },
        { "ISR without the leader", Proposal([2, 3]), 1, ErrorCode.InvalidRequest },
        { "ISR beyond the replicas", Proposal([1, 4]), 1, ErrorCode.InvalidRequest },
        { "ISR naming a broker twice", Proposal([1, 2, 2]), 1, ErrorCode.InvalidRequest },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task AlterPartition_Refused_AnswersTheErrorAndWritesNothing(string why, IsrProposal proposal, int brokerId, ErrorCode expected)
    {
        var result = await AlterAsync(proposal, brokerId);

        Assert.True(expected == result.Error, $"{why}: {result.Error} {result.ErrorMessage}");
        Assert.NotNull(result.ErrorMessage);
        Assert.Equal((-1, -1), (result.LeaderEpoch, result.PartitionEpoch));
        Assert.Empty(_seeded.Log.Batches);
        Assert.Equal([1, 2, 3], _seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task AlterPartition_NamingAFencedBroker_IsIneligibleReplica()
    {
        var seeded = SeededController.Start(3, [SeededController.Partition(0, [1, 2, 3], [1, 2], leader: 1)], fenced: [3]);

        var result = Assert.Single(await seeded.Controller.AlterPartitionAsync(1, [Proposal([1, 2, 3])], default));

        Assert.Equal(ErrorCode.IneligibleReplica, result.Error);
        Assert.Contains("fenced", result.ErrorMessage);
        Assert.Equal([1, 2], seeded[0].Isr.ToArray());
    }

    [Fact]
    public async Task AlterPartition_NamingAnUnregisteredBroker_IsIneligibleReplica()
    {
        var seeded = SeededController.Start(2, [SeededController.Partition(0, [1, 2, 9], [1, 2], leader: 1)]);

        var result = Assert.Single(await seeded.Controller.AlterPartitionAsync(1, [Proposal([1, 9])], default));

        Assert.Equal(ErrorCode.IneligibleReplica, result.Error);
        Assert.Contains("not registered", result.ErrorMessage);
    }

    [Fact]
    public async Task AlterPartition_OnANodeThatIsNotTheController_IsNotController()
    {
        _seeded.Log.Leadership = new MetadataLeadership(2, 7);

        var result = await AlterAsync(Proposal([1, 2]));

        Assert.Equal(ErrorCode.NotController, result.Error);
        Assert.Empty(_seeded.Log.Batches);
    }

    [Fact]
    public async Task AlterPartition_WhenTheAppendFails_AnswersTheFailureAndKeepsTheImage()
    {
        _seeded.Log.FailNextAppend = true;

        var result = await AlterAsync(Proposal([1, 2]));

        Assert.Equal(ErrorCode.UnknownServerError, result.Error);
        Assert.Equal([1, 2, 3], _seeded[0].Isr.ToArray());
        Assert.Equal(10, _seeded[0].PartitionEpoch);
    }

    [Fact]
    public async Task AlterPartition_OfSeveralPartitions_AnswersEachAndCommitsTheAcceptedOnesInOneBatch()
    {
        var seeded = SeededController.Start(3,
        [
            SeededController.Partition(0, [1, 2, 3], [1, 2, 3], leader: 1),
            SeededController.Partition(1, [2, 1, 3], [2, 1, 3], leader: 2),
            SeededController.Partition(2, [1, 3], [1], leader: 1, leaderEpoch: 2, partitionEpoch: 3),
        ]);

        var results = await seeded.Controller.AlterPartitionAsync(1,
            [Proposal([1, 3]), Proposal([1, 2], partition: 1), Proposal([1, 3], leaderEpoch: 2, partitionEpoch: 3, partition: 2)], default);

        Assert.Equal([ErrorCode.None, ErrorCode.NotLeaderOrFollower, ErrorCode.None], results.Select(r => r.Error));
        Assert.Equal(2, Assert.Single(seeded.Log.Batches).Records.Count);
        Assert.Equal([1, 3], seeded[0].Isr.ToArray());
        Assert.Equal([2, 1, 3], seeded[1].Isr.ToArray());
        Assert.Equal([1, 3], seeded[2].Isr.ToArray());
        Assert.Equal([1, 3], results[2].Isr.ToArray());
    }
}
