using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Server.Handlers;

namespace Wharf.Server.Tests;

/// <summary>
/// AlterPartition on the wire (v2's NewIsr, v3's NewIsrWithEpochs) and the sender a partition leader uses: to the local
/// controller when this node is it, through the forwarder otherwise, NOT_CONTROLLER when the controller is unreachable.
/// </summary>
public sealed class AlterPartitionTests : IAsyncDisposable
{
    private readonly ControllerApiView _view = new();
    private readonly ControllerForwarder _forwarder;

    public AlterPartitionTests() =>
        _forwarder = new ControllerForwarder(_view.Controller, "PLAINTEXT", NullLogger<ControllerForwarder>.Instance);

    public ValueTask DisposeAsync() => _forwarder.DisposeAsync();

    private static AlterPartitionRequest Request(short version, int partition, int leaderEpoch, int partitionEpoch, params int[] isr)
    {
        var data = new AlterPartitionRequest.PartitionData { PartitionIndex = partition, LeaderEpoch = leaderEpoch, PartitionEpoch = partitionEpoch };
        if (version >= 3)
        {
            data.NewIsrWithEpochs = [.. isr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id })];
        }
        else
        {
            data.NewIsr = [.. isr];
        }

        return ClusterView.RoundTrip(new AlterPartitionRequest { BrokerId = 1, Topics = [new() { TopicId = ControllerApiView.OrdersId, Partitions = [data] }] }, version);
    }

    private AlterPartitionSender Sender() => new(_view.Controller, _forwarder, NullLogger<AlterPartitionSender>.Instance);

    private static AlterPartitionProposal Proposal(int leaderEpoch, int partitionEpoch, params int[] isr) =>
        new(new TopicPartition(ControllerApiView.Topic, 0), ControllerApiView.OrdersId, 1, leaderEpoch, partitionEpoch, [.. isr]);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Handle_AnIsrShrink_CommitsItAndAnswersThePartitionsNewState(short version)
    {
        var handler = new AlterPartitionHandler(_view.Controller);

        var response = ClusterView.RoundTrip((await handler.HandleAsync(ClusterView.Context(ApiKey.AlterPartition, version), Request(version, 0, 5, 10, 1, 3), default))!, version);

        Assert.Equal(0, response.ErrorCode);
        var topic = Assert.Single(response.Topics);
        Assert.Equal(ControllerApiView.OrdersId, topic.TopicId);
        var partition = Assert.Single(topic.Partitions);
        Assert.Equal((0, (short)0, 1, 5, 11), (partition.PartitionIndex, partition.ErrorCode, partition.LeaderId, partition.LeaderEpoch, partition.PartitionEpoch));
        Assert.Equal([1, 3], partition.Isr);
        Assert.Equal([1, 3], _view[0].Isr.ToArray());
    }

    [Fact]
    public async Task Handle_AStaleEpoch_AnswersThePartitionError()
    {
        var handler = new AlterPartitionHandler(_view.Controller);

        var response = (await handler.HandleAsync(ClusterView.Context(ApiKey.AlterPartition, 3), Request(3, 0, 4, 10, 1, 3), default))!;

        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, response.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal([1, 2, 3], _view[0].Isr.ToArray());
    }

    [Fact]
    public async Task Handle_OnANodeThatIsNotTheController_IsATopLevelNotController()
    {
        _view.HandLeadershipToNodeTwo();
        var handler = new AlterPartitionHandler(_view.Controller);

        var response = (await handler.HandleAsync(ClusterView.Context(ApiKey.AlterPartition, 3), Request(3, 0, 5, 10, 1, 3), default))!;

        Assert.Equal((short)ErrorCode.NotController, response.ErrorCode);
        Assert.Empty(response.Topics);
    }

    [Fact]
    public async Task Submit_OnTheController_AppliesTheChangeLocally()
    {
        var outcome = await Sender().SubmitAsync(Proposal(5, 10, 1, 2), default);

        Assert.Equal(ErrorCode.None, outcome.Error);
        Assert.Equal((5, 11), (outcome.LeaderEpoch, outcome.PartitionEpoch));
        Assert.Equal([1, 2], outcome.Isr.ToArray());
        Assert.Equal([1, 2], _view[0].Isr.ToArray());
    }

    [Fact]
    public async Task Submit_Refused_IsTheErrorWithoutState()
    {
        var outcome = await Sender().SubmitAsync(Proposal(5, 9, 1, 2), default);

        Assert.Equal(AlterPartitionOutcome.Failed(ErrorCode.InvalidUpdateVersion).Error, outcome.Error);
        Assert.Equal(-1, outcome.PartitionEpoch);
        Assert.Empty(outcome.Isr);
    }

    [Fact]
    public async Task Submit_WhenTheControllerElsewhereIsUnreachable_IsNotController()
    {
        _view.HandLeadershipToNodeTwo();
        Assert.True(_forwarder.ShouldForward);

        var outcome = await Sender().SubmitAsync(Proposal(5, 10, 1, 2), default);

        Assert.Equal(ErrorCode.NotController, outcome.Error);
        Assert.Equal([1, 2, 3], _view[0].Isr.ToArray());
    }

    [Fact]
    public void Outcome_OfAForwardedAnswer_IsThePartitionsStateOrItsError()
    {
        var proposal = Proposal(5, 10, 1, 2);
        static AlterPartitionResponse Answer(short error, short partitionError, int partition = 0) => new()
        {
            ErrorCode = error,
            Topics = [new() { TopicId = ControllerApiView.OrdersId, Partitions = [new() { PartitionIndex = partition, ErrorCode = partitionError, LeaderId = 1, LeaderEpoch = 5, PartitionEpoch = 11, Isr = [1, 2] }] }],
        };

        var accepted = AlterPartitionSender.Outcome(Answer(0, 0), proposal);
        var newLeader = AlterPartitionSender.Outcome(Answer(0, (short)ErrorCode.NewLeaderElected), proposal);

        Assert.Equal((ErrorCode.None, 5, 11), (accepted.Error, accepted.LeaderEpoch, accepted.PartitionEpoch));
        Assert.Equal([1, 2], accepted.Isr.ToArray());
        Assert.Equal((ErrorCode.NewLeaderElected, 11), (newLeader.Error, newLeader.PartitionEpoch));
        Assert.Equal(AlterPartitionOutcome.Failed(ErrorCode.NotController), AlterPartitionSender.Outcome(Answer((short)ErrorCode.NotController, 0), proposal));
        Assert.Equal(AlterPartitionOutcome.Failed(ErrorCode.InvalidUpdateVersion).Error, AlterPartitionSender.Outcome(Answer(0, (short)ErrorCode.InvalidUpdateVersion), proposal).Error);
        Assert.Equal(ErrorCode.UnknownServerError, AlterPartitionSender.Outcome(Answer(0, 0, partition: 3), proposal).Error);
    }
}
