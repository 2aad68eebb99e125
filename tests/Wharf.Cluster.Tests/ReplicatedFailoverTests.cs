using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Replication factor 3 with <c>min.insync.replicas=2</c> across three broker processes, driven by librdkafka's
/// idempotent producer (acks=all): kill -9 of a partition leader mid-stream moves leadership to an in-sync follower
/// long before the killed broker's session could expire (the controller sees its port refuse connections), the
/// producer carries on, and every acknowledged record is read back exactly once, in order.
/// </summary>
public sealed class ReplicatedFailoverTests(ITestOutputHelper output)
{
    private const int Partitions = 3;

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task KillNineOfALeaderMidStream_AFollowerTakesOverWithinSeconds_AndEveryAcknowledgedRecordIsReadOnce()
    {
        // A 30 s session: a failover within 10 s cannot be the session expiring.
        var options = TestClusters.Options(new Dictionary<string, string> { ["num.partitions"] = "12", ["broker.session.timeout.ms"] = "30000" });
        await using var own = await TestClusters.StartAsync(output, options);
        var cluster = own.Cluster;
        var controller = await cluster.ControllerIdAsync();
        var topic = TestClusters.Name("failover");
        var answer = await Clients.CreateReplicatedTopicAsync(cluster.BootstrapServers, cluster.BootstrapServersOf(controller), topic, Partitions);
        var victim = answer.Leaders.Values.FirstOrDefault(l => l != controller, -1);
        Assert.True(victim > 0, $"every partition is led by the controller ({answer})");
        var victimPartitions = answer.Leaders.Where(l => l.Value == victim).Select(l => l.Key).ToList();

        var acknowledged = new System.Collections.Concurrent.ConcurrentQueue<(int Partition, string Value, long Offset)>();
        using var producer = Clients.Producer(cluster.BootstrapServers, c => c.MessageTimeoutMs = 60_000);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var partition = i % Partitions;
                var value = $"v{i}";
                var result = await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string, string> { Key = $"k{i}", Value = value });
                acknowledged.Enqueue((partition, value, result.Offset.Value));
            }
        });
        await Wait.UntilAsync(() => acknowledged.Count >= 300, "300 acknowledged records before the kill");

        var killedAt = Stopwatch.StartNew();
        cluster.Kill(victim);
        await Wait.UntilAsync(async () =>
            {
                answer = await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(controller), topic);
                return victimPartitions.All(p => answer.Leaders[p] >= 0 && answer.Leaders[p] != victim);
            },
            $"broker {victim}'s partitions to get new leaders", () => answer.ToString());
        var failover = killedAt.Elapsed;
        output.WriteLine($"killed broker {victim}; partitions {string.Join(',', victimPartitions)} had new leaders after {failover.TotalMilliseconds:0} ms");
        Assert.True(failover < TimeSpan.FromSeconds(10), $"leadership moved only after {failover} (the session timeout is 30 s)");

        var countAtFailover = acknowledged.Count;
        await Wait.UntilAsync(() => acknowledged.Count >= countAtFailover + 300, "300 more acknowledged records after the failover");
        await stop.CancelAsync();
        await writer;

        var expected = acknowledged.ToList();
        var read = Clients.Read(cluster.BootstrapServers, Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)), expected.Count);
        foreach (var partition in Enumerable.Range(0, Partitions))
        {
            var sent = expected.Where(a => a.Partition == partition).OrderBy(a => a.Offset).Select(a => (a.Offset, a.Value)).ToList();
            var got = read.Where(r => r.Partition.Value == partition).Select(r => (r.Offset.Value, r.Message.Value)).ToList();
            Assert.Equal(sent, got);
        }
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task KillNineOfTheCoordinatorsBroker_GroupOffsetsAndATransactionalProducerCarryOn()
    {
        await using var own = await TestClusters.StartAsync(output);
        var cluster = own.Cluster;
        var controller = await cluster.ControllerIdAsync();
        var topic = TestClusters.Name("coord");
        using (var admin = Clients.Admin(cluster.BootstrapServers))
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 3 }]);
        }

        // A group and a transactional id whose coordinators share a broker other than the controller.
        var bootstrap = cluster.BootstrapServersOf(controller);
        string group = "", transactionalId = "";
        var coordinator = -1;
        await Wait.UntilAsync(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var (g, t) = (TestClusters.Name($"g{i}"), TestClusters.Name($"t{i}"));
                var (gc, tc) = (await BrokerQuery.GroupCoordinatorAsync(bootstrap, g), await BrokerQuery.TransactionCoordinatorAsync(bootstrap, t));
                if (gc >= 0 && gc == tc && gc != controller)
                {
                    (group, transactionalId, coordinator) = (g, t, gc);
                    return true;
                }
            }

            return false;
        }, "a group and a transactional id coordinated on one non-controller broker");

        var offsets = Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, 7 + p)).ToList();
        using (var member = Clients.Consumer(cluster.BootstrapServers, group))
        {
            member.Commit(offsets);
        }

        var committed = new List<string>();
        using var producer = Clients.Producer(cluster.BootstrapServers, c => c.TransactionalId = transactionalId);
        producer.InitTransactions(TestClusters.WaitLimit);
        producer.BeginTransaction();
        committed.AddRange(await ProduceValuesAsync(producer, topic, "first", 30));
        producer.CommitTransaction(TestClusters.WaitLimit);

        cluster.Kill(coordinator);
        output.WriteLine($"killed broker {coordinator}, coordinator of group {group} and transactional id {transactionalId}");

        producer.BeginTransaction();
        committed.AddRange(await ProduceValuesAsync(producer, topic, "second", 30));
        producer.CommitTransaction(TestClusters.WaitLimit);
        producer.BeginTransaction();
        await ProduceValuesAsync(producer, topic, "aborted", 9);
        producer.AbortTransaction(TestClusters.WaitLimit);

        using (var reader = Clients.Consumer(cluster.BootstrapServers, group))
        {
            var stored = reader.Committed(offsets.Select(o => o.TopicPartition), TestClusters.WaitLimit);
            Assert.Equal(offsets.Select(o => o.Offset.Value), stored.OrderBy(o => o.Partition.Value).Select(o => o.Offset.Value));
        }

        var read = Clients.Read(cluster.BootstrapServers, Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)), committed.Count, IsolationLevel.ReadCommitted);
        Assert.Equal(committed.Order(StringComparer.Ordinal), read.Select(r => r.Message.Value).Order(StringComparer.Ordinal));
    }

    private static async Task<List<string>> ProduceValuesAsync(IProducer<string, string> producer, string topic, string prefix, int count)
    {
        var values = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        await Task.WhenAll(values.Select((v, i) => producer.ProduceAsync(new TopicPartition(topic, i % Partitions), new Message<string, string> { Key = v, Value = v })));
        return values;
    }
}
