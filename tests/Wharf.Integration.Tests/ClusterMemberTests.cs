using System.Buffers;
using System.Text;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.TestKit;
using ErrorCode = Wharf.Common.ErrorCode;

namespace Wharf.Integration.Tests;

/// <summary>
/// What a cluster member does with its coordination service (an in-memory store the test drives): it stops leading
/// the moment its session is lost — before any controller could move its partitions — and leads again once it is
/// registered and caught up; a clean stop fences it before the listener closes.
/// </summary>
public sealed class ClusterMemberTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SessionLoss_RefusesProduce_UntilRegisteredAgain()
    {
        // One broker, its own controller: when its session is lost no controller is left to fence it, so only
        // the broker's own self-fencing can stop it from accepting writes.
        var store = new InMemoryMetadataStore();
        await using var member = await InProcessBroker.StartClusterMemberAsync(store, 1);
        await CreateTopicAsync(member, "fenced", 1);
        Assert.Equal(ErrorCode.None, await ProduceAsync(member, "fenced", 0, "before"));

        store.ExpireSession(1);
        var imageStillNamesIt = member.Broker.Controller.Current.TopicsByName["fenced"].Partitions[0].Leader == 1;
        var whileLost = await ProduceAsync(member, "fenced", 0, "while lost");

        store.RestoreSession(1);
        await Poll.UntilAsync(() => member.Broker.Replicas.GetPartition(new("fenced", 0)) is { IsLeader: true }, Deadline, "the member leading fenced-0");
        var afterwards = await ProduceAsync(member, "fenced", 0, "after");

        Assert.True(imageStillNamesIt, "the image moved the partition away; the test no longer isolates self-fencing");
        Assert.Equal((ErrorCode.NotLeaderOrFollower, ErrorCode.None), (whileLost, afterwards));
    }

    [Fact]
    public async Task CleanStop_FencesTheBroker_BeforeItStops()
    {
        var store = new InMemoryMetadataStore();
        await using var first = await InProcessBroker.StartClusterMemberAsync(store, 1);
        var second = await InProcessBroker.StartClusterMemberAsync(store, 2);
        await CreateTopicAsync(first, "spread", 2);
        var image = first.Broker.Controller.Current;
        var topicId = image.TopicsByName["spread"].TopicId;
        var onSecond = image.TopicsByName["spread"].Partitions.Values.Single(p => p.Leader == 2).Partition;

        await second.DisposeAsync();
        var committed = store.Batches.SelectMany(b => b.Records).ToList();

        Assert.Contains(committed, r => r is BrokerRegistrationChangeRecord { BrokerId: 2, Fenced: true });
        Assert.Contains(committed, r => r is PartitionRecord { Leader: -1 } moved && moved.TopicId == topicId && moved.Partition == onSecond);
    }

    [Fact]
    public async Task OffsetForLeaderEpoch_AnswersWhereEachEpochEnded_OnTheLeaderOnly()
    {
        var store = new InMemoryMetadataStore();
        await using var first = await InProcessBroker.StartClusterMemberAsync(store, 1);
        await using var second = await InProcessBroker.StartClusterMemberAsync(store, 2);
        await CreateTopicAsync(first, "epochs", 2);
        var partition = first.Broker.Controller.Current.TopicsByName["epochs"].Partitions.Values.Single(p => p.Leader == 2).Partition;
        var firstEpoch = first.Broker.Controller.Current.TopicsByName["epochs"].Partitions[partition].LeaderEpoch;
        await ProduceAsync(second, "epochs", partition, "a");
        await ProduceAsync(second, "epochs", partition, "b");

        // Broker 2's session ends (the controller fences it: epoch + 1, no leader), then it returns (epoch + 2).
        store.ExpireSession(2);
        await Poll.UntilAsync(() => second.Broker.Controller.Current.TopicsByName["epochs"].Partitions[partition].Leader == -1, Deadline, "the partition losing its leader");
        store.RestoreSession(2);
        await Poll.UntilAsync(() => second.Broker.Replicas.GetPartition(new("epochs", partition)) is { IsLeader: true }, Deadline, "the second broker leading the partition");
        var current = second.Broker.Replicas.GetPartition(new("epochs", partition))!.LeaderEpoch;
        await ProduceAsync(second, "epochs", partition, "c");

        var answers = await EndOffsetsAsync(second, partition, current, [firstEpoch, firstEpoch + 1, current, current + 3]);
        var stale = await EndOffsetsAsync(second, partition, firstEpoch, [firstEpoch]);
        var notLeader = await EndOffsetsAsync(first, partition, -1, [firstEpoch]);

        Assert.Equal(firstEpoch + 2, current);
        Assert.Equal(
            [(ErrorCode.None, firstEpoch, 2L), (ErrorCode.None, firstEpoch, 2L), (ErrorCode.None, current, 3L), (ErrorCode.None, -1, -1L)],
            answers);
        Assert.Equal(ErrorCode.FencedLeaderEpoch, stale[0].Error);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, notLeader[0].Error);
    }

    private static async Task<List<(ErrorCode Error, int Epoch, long EndOffset)>> EndOffsetsAsync(InProcessBroker member, int partition, int currentEpoch, int[] epochs)
    {
        var answers = new List<(ErrorCode, int, long)>();
        await using var connection = await RawKafkaConnection.ConnectAsync(member.BootstrapServers);
        foreach (var epoch in epochs)
        {
            await connection.SendAsync(
                new OffsetForLeaderEpochRequest { ReplicaId = -1, Topics = [new() { Topic = "epochs", Partitions = [new() { Partition = partition, CurrentLeaderEpoch = currentEpoch, LeaderEpoch = epoch }] }] },
                4);
            var answer = (await connection.ReceiveAsync<OffsetForLeaderEpochResponse>(4)).Topics[0].Partitions[0];
            answers.Add(((ErrorCode)answer.ErrorCode, answer.LeaderEpoch, answer.EndOffset));
        }

        return answers;
    }

    private static async Task CreateTopicAsync(InProcessBroker member, string topic, int partitions)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(member.BootstrapServers);
        await connection.SendAsync(new CreateTopicsRequest { Topics = [new() { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }] }, 4);
        var response = await connection.ReceiveAsync<CreateTopicsResponse>(4);
        Assert.Equal((short)ErrorCode.None, response.Topics[0].ErrorCode);
        await Poll.UntilAsync(
            () => Enumerable.Range(0, partitions).All(p =>
                member.Broker.Controller.Current.TryGetPartition(new(topic, p), out var image) && image.Leader != 1
                || member.Broker.Replicas.GetPartition(new(topic, p)) is { IsLeader: true }),
            Deadline,
            $"the member leading its partitions of {topic}");
    }

    private static async Task<ErrorCode> ProduceAsync(InProcessBroker member, string topic, int partition, string value)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(member.BootstrapServers);
        var batch = new RecordBatchBuilder().Append(1_700_000_000_000, null, Encoding.UTF8.GetBytes(value)).ToArray();
        await connection.SendAsync(
            new ProduceRequest { Acks = -1, TimeoutMs = 5000, TopicData = [new() { Name = topic, PartitionData = [new() { Index = partition, Records = new ReadOnlySequence<byte>(batch) }] }] },
            9);
        var response = await connection.ReceiveAsync<ProduceResponse>(9);
        return (ErrorCode)response.Responses[0].PartitionResponses[0].ErrorCode;
    }
}
