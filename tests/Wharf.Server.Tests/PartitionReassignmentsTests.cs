using Wharf.Common;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Server.Handlers;

namespace Wharf.Server.Tests;

/// <summary>AlterPartitionReassignments and ListPartitionReassignments on the wire, over the controller of <see cref="ControllerApiView"/>.</summary>
public sealed class PartitionReassignmentsTests
{
    private readonly ControllerApiView _view = new();

    private async Task<AlterPartitionReassignmentsResponse> AlterAsync(params (int Partition, int[]? Replicas)[] partitions)
    {
        var request = new AlterPartitionReassignmentsRequest
        {
            Topics =
            [
                new()
                {
                    Name = ControllerApiView.Topic,
                    Partitions = [.. partitions.Select(p => new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = p.Partition, Replicas = p.Replicas?.ToList() })],
                },
            ],
        };
        var handler = new AlterPartitionReassignmentsHandler(_view.Controller);
        var response = await handler.HandleAsync(ClusterView.Context(ApiKey.AlterPartitionReassignments, 0), ClusterView.RoundTrip(request, 0), default);
        return ClusterView.RoundTrip(response!, 0);
    }

    private async Task<ListPartitionReassignmentsResponse> ListAsync(List<ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics>? topics)
    {
        var handler = new ListPartitionReassignmentsHandler(_view.Controller);
        var response = await handler.HandleAsync(ClusterView.Context(ApiKey.ListPartitionReassignments, 0), ClusterView.RoundTrip(new ListPartitionReassignmentsRequest { Topics = topics }, 0), default);
        return ClusterView.RoundTrip(response!, 0);
    }

    [Fact]
    public async Task Alter_ThenList_ShowsTheReassignmentInProgress()
    {
        var altered = await AlterAsync((0, [2, 3]), (1, null), (5, [1]));

        Assert.Equal(0, altered.ErrorCode);
        var results = Assert.Single(altered.Responses).Partitions;
        Assert.Equal([(0, ErrorCode.None), (1, ErrorCode.NoReassignmentInProgress), (5, ErrorCode.UnknownTopicOrPartition)],
            results.Select(r => (r.PartitionIndex, (ErrorCode)r.ErrorCode)));
        Assert.NotNull(results[1].ErrorMessage);

        await AlterAsync((1, [1, 3]));
        var all = await ListAsync(null);
        var named = await ListAsync([new() { Name = ControllerApiView.Topic, PartitionIndexes = [0, 1] }]);

        Assert.Equal(0, all.ErrorCode);
        var partition = Assert.Single(Assert.Single(all.Topics).Partitions);
        Assert.Equal(1, partition.PartitionIndex);
        Assert.Equal([1, 3, 2], partition.Replicas);
        Assert.Equal([1], partition.AddingReplicas);
        Assert.Equal([2], partition.RemovingReplicas);
        Assert.Equal(1, Assert.Single(Assert.Single(named.Topics).Partitions).PartitionIndex);
        Assert.Equal([2, 3], _view[0].Replicas.ToArray());
    }

    [Fact]
    public async Task List_OfAnUnknownTopic_IsATopLevelError()
    {
        var response = await ListAsync([new() { Name = "missing", PartitionIndexes = [0] }]);

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.ErrorCode);
        Assert.Empty(response.Topics);
    }

    [Fact]
    public async Task Both_OnANodeThatIsNotTheController_AreNotController()
    {
        _view.HandLeadershipToNodeTwo();

        var altered = await AlterAsync((0, [2, 3]));
        var listed = await ListAsync(null);

        Assert.Equal((short)ErrorCode.NotController, altered.ErrorCode);
        Assert.Equal((short)ErrorCode.NotController, Assert.Single(altered.Responses[0].Partitions).ErrorCode);
        Assert.Equal((short)ErrorCode.NotController, listed.ErrorCode);
        Assert.Equal([1, 2, 3], _view[0].Replicas.ToArray());
    }
}
