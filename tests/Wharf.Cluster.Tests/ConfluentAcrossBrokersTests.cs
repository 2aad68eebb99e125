using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Confluent.Kafka (librdkafka 2.16) against three brokers: partitions are spread, a client that knows one broker
/// reaches every leader, a group's coordinator may live on another broker, and a bootstrap broker that is not the
/// controller still serves topic creation rules.
/// </summary>
[Collection(SharedClusterCollection.Name)]
public sealed class ConfluentAcrossBrokersTests(SharedClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const int Partitions = 12;
    private readonly WharfCluster _cluster = fixture.Cluster;
    private readonly ClusterLogs _logs = new(output, fixture.Cluster);

    public void Dispose() => _logs.Dispose();

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task TwelvePartitionTopic_IsSpreadOverAllThreeBrokers_EachLeadingFour()
    {
        var topic = TestClusters.Name("spread");
        await Clients.CreateTopicAsync(_cluster.BootstrapServers, topic, Partitions);

        // Every broker must give the same answer, once the topic's metadata has reached it.
        var answers = new Dictionary<int, BrokerAnswer>();
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var node in _cluster.NodeIds)
                {
                    answers[node] = await BrokerQuery.MetadataAsync(_cluster.BootstrapServersOf(node), topic);
                }

                return answers.Values.All(a => a.Leaders.Count == Partitions && a.Leaders.Values.All(l => l != -1));
            },
            "every broker to know a leader for all 12 partitions",
            () => string.Join("; ", answers.Select(a => $"node {a.Key}: {a.Value}")));

        var leaders = answers[1].Leaders;
        Assert.All(answers.Values, a => Assert.Equal(leaders.OrderBy(l => l.Key), a.Leaders.OrderBy(l => l.Key)));
        Assert.Equal([(1, 4), (2, 4), (3, 4)], leaders.Values.GroupBy(l => l).Select(g => (g.Key, g.Count())).Order());
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task ProduceAndConsume_ThroughABootstrapListNamingOneBroker_ReachEveryLeader()
    {
        var topic = TestClusters.Name("one-bootstrap");
        var onlyBroker = _cluster.BootstrapServersOf(2);
        await Clients.CreateTopicAsync(onlyBroker, topic, Partitions);
        const int PerPartition = 10;

        using (var producer = Clients.Producer(onlyBroker))
        {
            for (var partition = 0; partition < Partitions; partition++)
            {
                await Clients.ProduceAsync(producer, topic, partition, PerPartition, $"p{partition}");
            }
        }

        using var admin = Clients.Admin(onlyBroker);
        Assert.Equal([1, 2, 3], Clients.Leaders(admin, topic).Values.Distinct().Order());
        var read = Clients.Read(onlyBroker, Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)), Partitions * PerPartition);
        Assert.Equal(Partitions * PerPartition, read.Count);
        for (var partition = 0; partition < Partitions; partition++)
        {
            var own = read.Where(r => r.Partition.Value == partition).ToArray();
            Assert.Equal(Enumerable.Range(0, PerPartition).Select(i => $"p{partition}-v{i}"), own.Select(r => r.Message.Value));
            Assert.Equal(Enumerable.Range(0, PerPartition).Select(i => (long)i), own.Select(r => r.Offset.Value));
        }
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task ConsumerGroup_WhoseCoordinatorIsOnAnotherBroker_ResumesAtItsCommittedOffsetsAfterARestart()
    {
        var topic = TestClusters.Name("group");
        const int Bootstrap = 1;
        var onlyBroker = _cluster.BootstrapServersOf(Bootstrap);
        await Clients.CreateTopicAsync(onlyBroker, topic, Partitions);
        using (var producer = Clients.Producer(onlyBroker))
        {
            for (var partition = 0; partition < Partitions; partition++)
            {
                await Clients.ProduceAsync(producer, topic, partition, 5, $"p{partition}");
            }
        }

        // A group id whose coordinator (the leader of its __consumer_offsets partition) is not the bootstrap broker.
        string? group = null;
        var coordinator = -1;
        await Wait.UntilAsync(
            async () =>
            {
                var candidate = TestClusters.Name("g");
                coordinator = await BrokerQuery.GroupCoordinatorAsync(onlyBroker, candidate);
                group = coordinator is not -1 and not Bootstrap ? candidate : null;
                return group is not null;
            },
            "a group whose coordinator is not broker 1",
            () => $"last coordinator {coordinator}");

        // The coordinator is the leader of the group's __consumer_offsets partition: abs(Java hashCode of the id) % count.
        var offsetsTopic = await BrokerQuery.MetadataAsync(onlyBroker, "__consumer_offsets");
        Assert.Equal(offsetsTopic.Leaders[Math.Abs(JavaHashCode(group!)) % offsetsTopic.Leaders.Count], coordinator);

        var committed = new List<TopicPartitionOffset>();
        using (var consumer = Clients.Consumer(onlyBroker, group!))
        {
            consumer.Subscribe(topic);
            var seen = ConsumeUntil(consumer, Partitions * 5);
            Assert.Equal(Partitions * 5, seen.Count);

            // Commit 3 of the 5 records of each partition: the next member must start at offset 3 everywhere.
            committed.AddRange(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, 3)));
            consumer.Commit(committed);
            consumer.Close();
        }

        using (var restarted = Clients.Consumer(onlyBroker, group!))
        {
            var stored = restarted.Committed(committed.Select(c => c.TopicPartition), TimeSpan.FromSeconds(10));
            Assert.All(stored, s => Assert.Equal(3, s.Offset.Value));

            restarted.Subscribe(topic);
            var resumed = ConsumeUntil(restarted, Partitions * 2);
            Assert.Equal(Partitions * 2, resumed.Count);
            Assert.All(resumed, r => Assert.InRange(r.Offset.Value, 3, 4));
            Assert.Equal(
                Enumerable.Range(0, Partitions).SelectMany(p => new[] { $"p{p}-v3", $"p{p}-v4" }).Order(StringComparer.Ordinal),
                resumed.Select(r => r.Message.Value).Order(StringComparer.Ordinal));
            restarted.Close();
        }

        output.WriteLine($"group {group}: coordinator {coordinator}, bootstrap broker {Bootstrap}");
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task CreateTopic_WithAReplicationFactorAboveTheLiveBrokers_FailsWithInvalidReplicationFactor()
    {
        var topic = TestClusters.Name("rf4");
        using var admin = Clients.Admin(_cluster.BootstrapServers);

        var failure = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 3, ReplicationFactor = 4 }]));

        Assert.Equal(ErrorCode.InvalidReplicationFactor, Assert.Single(failure.Results).Error.Code);
        Assert.Equal(Wharf.Common.ErrorCode.UnknownTopicOrPartition, (Wharf.Common.ErrorCode)(await BrokerQuery.MetadataAsync(_cluster.BootstrapServersOf(1), topic)).TopicError);
    }

    /// <summary>Java's <c>String.hashCode</c> (Kafka's mapping of group ids to partitions); <see cref="int.MinValue"/> maps to 0 as in Kafka's Utils.abs.</summary>
    private static int JavaHashCode(string value)
    {
        var hash = 0;
        foreach (var c in value)
        {
            hash = unchecked((31 * hash) + c);
        }

        return hash == int.MinValue ? 0 : hash;
    }

    private static List<ConsumeResult<string, string>> ConsumeUntil(IConsumer<string, string> consumer, int count)
    {
        var seen = new List<ConsumeResult<string, string>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (seen.Count < count && clock.Elapsed < TestClusters.WaitLimit)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: not null } result)
            {
                seen.Add(result);
            }
        }

        return seen;
    }
}
