using System.Collections.Immutable;
using Confluent.Kafka;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server;
using Wharf.TestKit;
using ErrorCode = Wharf.Common.ErrorCode;

namespace Wharf.Integration.Tests;

/// <summary>
/// The controller side of ISR replication across a three-broker cluster (<see cref="InProcessCluster"/>): a leader on a
/// broker that is not the controller changes its ISR through AlterPartition (forwarded), a reassignment sent to any
/// broker reaches the controller and completes once the added replica has replicated and joined the ISR, and topics created without a replication factor get three
/// replicas.
/// </summary>
public sealed class ClusterIsrControlTests
{
    private const int Records = 20;
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
        // Every broker applies the change; the leader may already have proposed the removed (caught-up) follower back,
        // so the images are waited on to reach that partition epoch, not to stay at it.
        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("isr", partition.Partition), out var p) && p.PartitionEpoch >= outcome.PartitionEpoch, Timeout);
        var stale = await cluster[partition.Leader].AlterPartitions.SubmitAsync(
            new AlterPartitionProposal(new("isr", partition.Partition), topic.TopicId, partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch, partition.Isr), default);
        Assert.Equal(ErrorCode.InvalidUpdateVersion, stale.Error);
    }

    [Fact]
    public async Task Reassignment_SentToABrokerThatIsNotTheController_IsForwarded_AndCompletesOnceTheNewReplicaIsInSync()
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
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, Acks = Acks.All }).Build())
        {
            for (var i = 0; i < Records; i++)
            {
                await producer.ProduceAsync("moving", new Message<Null, string> { Value = $"v{i}" });
            }
        }

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

        // The added replica fetches from the leader, joins the ISR, and the controller completes the move by itself.
        await cluster.WaitForImagesAsync(i => i.TryGetPartition(new("moving", 0), out var p) && !p.IsReassigning && p.Replicas.Contains(added), Timeout);
        var after = cluster[removed].Controller.Current.TopicsByName["moving"].Partitions[0];
        Assert.Equal([leader, added], after.Replicas.ToArray());
        Assert.Equal(new[] { leader, added }.Order(), after.Isr.Order());
        Assert.Empty((await ListAsync(cluster[third])).Topics);
        await Poll.UntilAsync(() => cluster[added].Replicas.GetPartition(new("moving", 0)) is { LogEndOffset: >= Records }, Timeout, "the added replica catching up");
        await Poll.UntilAsync(() => cluster[removed].Replicas.GetPartition(new("moving", 0)) is null, Timeout, "the removed replica going");
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
