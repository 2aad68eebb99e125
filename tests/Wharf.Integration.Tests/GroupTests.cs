using Confluent.Kafka;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// Consumer groups with Confluent.Kafka (librdkafka 2.16.0) against an in-process broker: sharing partitions, handover,
/// independent groups, cooperative rebalancing, static membership and resuming from committed offsets. Consumers are
/// polled from the test thread; every wait is bounded by a deadline.
/// </summary>
public sealed class GroupTests : IAsyncLifetime
{
    private const int Partitions = 6;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private WharfBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await WharfBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task ThreeConsumersInOneGroup_ShareSixPartitions_WithNoPartitionOwnedTwice_AndReadEachMessageOnce()
    {
        const string topic = "shared";
        await _broker.CreateTopicAsync(topic, Partitions);
        var seen = new Dictionary<string, int>();
        var consumers = Enumerable.Range(0, 3).Select(_ => NewConsumer("g-shared")).ToList();
        try
        {
            consumers.ForEach(c => c.Subscribe(topic));
            PollUntil(consumers, seen, () => consumers.All(c => c.Assignment.Count == 2)); // steady state first
            Produce(topic, 600);
            PollUntil(consumers, seen, () => seen.Count == 600);
            Assert.All(consumers, c => Assert.Equal(2, c.Assignment.Count));
            var owned = consumers.SelectMany(c => c.Assignment).ToList();
            Assert.Equal(Partitions, owned.Count);
            Assert.Equal(Partitions, owned.Distinct().Count());
            Assert.All(seen.Values, n => Assert.Equal(1, n));
        }
        finally
        {
            consumers.ForEach(c => c.Close());
            consumers.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task ClosingOneConsumer_MovesItsPartitionsToTheOthers_AndNoCommittedMessageIsReadAgain()
    {
        const string topic = "handover";
        await _broker.CreateTopicAsync(topic, Partitions);
        Produce(topic, 300);
        var seen = new Dictionary<string, int>();
        var consumers = Enumerable.Range(0, 3).Select(_ => NewConsumer("g-handover")).ToList();
        try
        {
            consumers.ForEach(c => c.Subscribe(topic));
            PollUntil(consumers, seen, () => seen.Count == 300 && consumers.All(c => c.Assignment.Count == 2), commit: true);

            var leaving = consumers[0];
            leaving.Close(); // LeaveGroup: a clean handover
            leaving.Dispose();
            consumers.RemoveAt(0);
            Produce(topic, 300, start: 300);
            PollUntil(consumers, seen, () => seen.Count == 600 && consumers.All(c => c.Assignment.Count == 3), commit: true);
            Assert.Equal(Partitions, consumers.SelectMany(c => c.Assignment).Distinct().Count());
            Assert.All(seen, kv => Assert.True(kv.Value == 1, $"{kv.Key} was read {kv.Value} times"));
        }
        finally
        {
            consumers.ForEach(c => c.Close());
            consumers.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task TwoGroups_OnOneTopic_EachReadEveryMessage()
    {
        const string topic = "pubsub";
        await _broker.CreateTopicAsync(topic, Partitions);
        Produce(topic, 200);
        foreach (var group in new[] { "g-first", "g-second" })
        {
            var seen = new Dictionary<string, int>();
            using var consumer = NewConsumer(group);
            consumer.Subscribe(topic);
            PollUntil([consumer], seen, () => seen.Count == 200);
            Assert.All(seen.Values, n => Assert.Equal(1, n));
            consumer.Close();
        }
    }

    [Fact]
    public async Task CooperativeStickyAssignor_AddingAThirdMember_KeepsEveryPartitionOwnedOnce()
    {
        const string topic = "cooperative";
        await _broker.CreateTopicAsync(topic, Partitions);
        Produce(topic, 120);
        var seen = new Dictionary<string, int>();
        var revoked = 0;
        var consumers = Enumerable.Range(0, 2).Select(_ => NewConsumer("g-coop", PartitionAssignmentStrategy.CooperativeSticky, onRevoke: n => revoked += n)).ToList();
        try
        {
            consumers.ForEach(c => c.Subscribe(topic));
            PollUntil(consumers, seen, () => seen.Count == 120 && consumers.All(c => c.Assignment.Count == 3));
            revoked = 0;
            var third = NewConsumer("g-coop", PartitionAssignmentStrategy.CooperativeSticky, onRevoke: n => revoked += n);
            consumers.Add(third);
            third.Subscribe(topic);
            PollUntil(consumers, seen, () => consumers.All(c => c.Assignment.Count == 2));
            Assert.Equal(Partitions, consumers.SelectMany(c => c.Assignment).Distinct().Count());
            Assert.Equal(2, revoked); // incremental: only the two partitions that moved were revoked
        }
        finally
        {
            consumers.ForEach(c => c.Close());
            consumers.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task StaticMember_RestartingWithinTheSessionTimeout_GetsItsPartitionsBackWithoutARebalance()
    {
        const string topic = "static";
        await _broker.CreateTopicAsync(topic, Partitions);
        Produce(topic, 60);
        var seen = new Dictionary<string, int>();
        var assignmentsOfB = 0;
        var a = NewConsumer("g-static", instanceId: "instance-a");
        using var b = NewConsumer("g-static", instanceId: "instance-b", onAssign: () => assignmentsOfB++);
        a.Subscribe(topic);
        b.Subscribe(topic);
        PollUntil([a, b], seen, () => seen.Count == 60 && a.Assignment.Count == 3 && b.Assignment.Count == 3);
        var before = a.Assignment.OrderBy(p => p.Partition.Value).ToList();
        var assignedBefore = assignmentsOfB;
        a.Close(); // a static member sends no LeaveGroup
        a.Dispose();

        using var restarted = NewConsumer("g-static", instanceId: "instance-a");
        restarted.Subscribe(topic);
        PollUntil([restarted, b], seen, () => restarted.Assignment.Count == 3);
        Assert.Equal(before, restarted.Assignment.OrderBy(p => p.Partition.Value).ToList());
        Assert.Equal(assignedBefore, assignmentsOfB);
        restarted.Close();
        b.Close();
    }

    [Fact]
    public async Task ConsumerRestart_ResumesFromTheCommittedOffset_AlsoAcrossABrokerRestart()
    {
        const string topic = "resume";
        await _broker.CreateTopicAsync(topic, 1);
        Produce(topic, 100, partitions: 1);
        using (var first = NewConsumer("g-resume"))
        {
            first.Subscribe(topic);
            for (var i = 0; i < 40; i++)
            {
                var result = ConsumeOne(first);
                Assert.Equal(i, result.Offset.Value);
                first.Commit(result);
            }

            first.Close();
        }

        await _broker.RestartAsync();
        using var second = NewConsumer("g-resume");
        second.Subscribe(topic);
        Assert.Equal(40, ConsumeOne(second).Offset.Value);
        var committed = second.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10));
        Assert.Equal(40, committed[0].Offset.Value);
        second.Close();
    }

    private static ConsumeResult<string, string> ConsumeOne(IConsumer<string, string> consumer)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return consumer.Consume(deadline.Token);
    }

    /// <summary>Polls every consumer in turn until <paramref name="done"/>; counts each message's deliveries.</summary>
    private static void PollUntil(List<IConsumer<string, string>> consumers, Dictionary<string, int> seen, Func<bool> done, bool commit = false)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out: {seen.Count} messages, assignments {string.Join(" / ", consumers.Select(c => c.Assignment.Count))}");
            foreach (var consumer in consumers)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
                if (result?.Message is null)
                {
                    continue;
                }

                seen[result.Message.Value] = seen.GetValueOrDefault(result.Message.Value) + 1;
                if (commit)
                {
                    consumer.Commit(result);
                }
            }
        }
    }

    private void Produce(string topic, int count, int start = 0, int partitions = Partitions)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All }).Build();
        for (var i = start; i < start + count; i++)
        {
            producer.Produce(new TopicPartition(topic, i % partitions), new Message<string, string> { Key = $"k{i}", Value = $"m{i}" });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    private IConsumer<string, string> NewConsumer(string group, PartitionAssignmentStrategy strategy = PartitionAssignmentStrategy.Range, string? instanceId = null, Action<int>? onRevoke = null, Action? onAssign = null)
    {
        var builder = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            GroupId = group,
            GroupInstanceId = instanceId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
            PartitionAssignmentStrategy = strategy,
            TopicMetadataRefreshIntervalMs = 1000,
        });
        if (onRevoke is not null)
        {
            builder.SetPartitionsRevokedHandler((_, partitions) => onRevoke(partitions.Count));
        }

        if (onAssign is not null)
        {
            builder.SetPartitionsAssignedHandler((_, _) => onAssign());
        }

        return builder.Build();
    }
}
