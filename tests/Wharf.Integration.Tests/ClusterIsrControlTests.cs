using System.Collections.Immutable;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server;
using Wharf.TestKit;
using ErrorCode = Wharf.Common.ErrorCode;

namespace Wharf.Integration.Tests;

/// <summary>
/// The controller side of ISR replication across a three-broker cluster (<see cref="InProcessCluster"/>): a leader on a
/// broker that is not the controller changes its ISR through AlterPartition (forwarded), reassignments sent to any
/// broker reach the controller and every broker's image, and topics created without a replication factor get three
/// replicas.
/// </summary>
public sealed class ClusterIsrControlTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AlterPartition_FromALeaderThatIsNotTheController_IsForwarded_AndEveryBrokerSeesTheNewIsr()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var controllerId = ControllerOf(cluster);
        await CreateTopicAsync(cluster[controllerId % 3 + 1], "isr", partitions: 3, replicationFactor: -1);
        await cluster.WaitForImagesAsync(i => i.TryGetTopic("isr", out var t) && t.PartitionCount == 3, Timeout);

        var image = cluster[1].Controller.Current;
        var topic = image.TopicsByName["isr"];
        Assert.All(topic.Partitions.Values, p => Assert.Equal(3, p.Replicas.Length));
        var partition = topic.Partitions.Values.First(p => p.Leader != controllerId);
        var shrunk = partition.Isr.Where(r => r == partition.Leader || r == controllerId).ToImmutableArray();

        var outcome = await cluster[partition.Leader].AlterPartitions.SubmitAsync(
            new AlterPartitionProposal(new("isr", partition.Partition), topic.TopicId, partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch, shrunk), default);

        Assert.Equal(ErrorCode.None, outcome.Error);
        Assert.Equal(partition.PartitionEpoch + 1, outcome.PartitionEpoch);
        Assert.Equal(shrunk.Order(), outcome.Isr.Order());
        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("isr", partition.Partition), out var p) && p.Isr.Length == 2 && p.PartitionEpoch == outcome.PartitionEpoch, Timeout);
        var stale = await cluster[partition.Leader].AlterPartitions.SubmitAsync(
            new AlterPartitionProposal(new("isr", partition.Partition), topic.TopicId, partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch, partition.Isr), default);
        Assert.Equal(ErrorCode.InvalidUpdateVersion, stale.Error);
    }

    [Fact]
    public async Task Reassignment_SentToABrokerThatIsNotTheController_IsForwarded_ListedEverywhere_AndCompletesWhenInSync()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var controllerId = ControllerOf(cluster);
        var other = controllerId % 3 + 1;
        var third = other % 3 + 1;
        await CreateTopicAsync(cluster[other], "moving", partitions: 1, replicationFactor: 2);
        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("moving", 0), out _), Timeout);
        var before = cluster[other].Controller.Current.TopicsByName["moving"].Partitions[0];
        var leader = before.Leader;
        var removed = before.Replicas.Single(r => r != leader);
        var added = new[] { 1, 2, 3 }.Single(r => !before.Replicas.Contains(r));

        await using (var connection = await RawKafkaConnection.ConnectAsync(cluster[other].BootstrapServers))
        {
            await connection.SendAsync(new AlterPartitionReassignmentsRequest
            {
                Topics = [new() { Name = "moving", Partitions = [new() { PartitionIndex = 0, Replicas = [leader, added] }] }],
            }, 0);
            var altered = await connection.ReceiveAsync<AlterPartitionReassignmentsResponse>(0);
            Assert.Equal(0, altered.ErrorCode);
            Assert.Equal((short)ErrorCode.None, altered.Responses[0].Partitions[0].ErrorCode);
        }

        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("moving", 0), out var p) && p.IsReassigning, Timeout);
        var listed = await ListAsync(cluster[third]);
        var ongoing = Assert.Single(Assert.Single(listed.Topics).Partitions);
        Assert.Equal([leader, added, removed], ongoing.Replicas);
        Assert.Equal([added], ongoing.AddingReplicas);
        Assert.Equal([removed], ongoing.RemovingReplicas);

        var reassigning = cluster[leader].Controller.Current.TopicsByName["moving"];
        var partition = reassigning.Partitions[0];
        var caughtUp = await cluster[leader].AlterPartitions.SubmitAsync(
            new AlterPartitionProposal(new("moving", 0), reassigning.TopicId, leader, partition.LeaderEpoch, partition.PartitionEpoch, [leader, removed, added]), default);

        Assert.Equal(ErrorCode.None, caughtUp.Error);
        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("moving", 0), out var p) && !p.IsReassigning, Timeout);
        var after = cluster[removed].Controller.Current.TopicsByName["moving"].Partitions[0];
        Assert.Equal([leader, added], after.Replicas.ToArray());
        Assert.Equal([leader, added], after.Isr.ToArray());
        Assert.Empty((await ListAsync(cluster[removed])).Topics);
    }

    private static int ControllerOf(InProcessCluster cluster) =>
        new[] { 1, 2, 3 }.Single(id => cluster[id].Controller.IsActive);

    private static async Task CreateTopicAsync(KafkaBroker broker, string topic, int partitions, short replicationFactor)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
        await connection.SendAsync(new CreateTopicsRequest { Topics = [new() { Name = topic, NumPartitions = partitions, ReplicationFactor = replicationFactor }], timeoutMs = 10_000 }, 4);
        var response = await connection.ReceiveAsync<CreateTopicsResponse>(4);
        Assert.True(response.Topics[0].ErrorCode == 0, $"{(ErrorCode)response.Topics[0].ErrorCode} {response.Topics[0].ErrorMessage}");
    }

    private static async Task<ListPartitionReassignmentsResponse> ListAsync(KafkaBroker broker)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
        await connection.SendAsync(new ListPartitionReassignmentsRequest(), 0);
        var response = await connection.ReceiveAsync<ListPartitionReassignmentsResponse>(0);
        Assert.Equal(0, response.ErrorCode);
        return response;
    }
}
