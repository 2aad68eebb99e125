using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Client;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// A share group (KIP-932 queue) over three broker processes with replication factor 3: kill -9 of a partition leader
/// moves its share-partitions with the leadership — the new leader resumes from the state replicated in
/// <c>__share_group_state</c> — so no acknowledgement a commit confirmed is undone and no record is lost, while the same
/// librdkafka share consumer carries on.
/// </summary>
public sealed class ShareGroupFailoverTests(ITestOutputHelper output)
{
    private const int Partitions = 3;
    private const int Count = 600;

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task KillNineOfAShareLeader_TheQueueCarriesOn_NoConfirmedAcknowledgementUndone_NothingLost()
    {
        await using var own = await TestClusters.StartAsync(output);
        var cluster = own.Cluster;
        var controller = await cluster.ControllerIdAsync();
        var topic = TestClusters.Name("queue");
        var answer = await Clients.CreateReplicatedTopicAsync(cluster.BootstrapServers, cluster.BootstrapServersOf(controller), topic, Partitions);
        var victim = answer.Leaders.Values.FirstOrDefault(l => l != controller, -1);
        Assert.True(victim > 0, $"every partition is led by the controller ({answer})");
        using (var admin = Clients.Admin(cluster.BootstrapServers))
        {
            await admin.IncrementalAlterConfigsAsync(new()
            {
                [new ConfigResource { Type = ResourceType.Group, Name = "queue-workers" }] =
                    [new ConfigEntry { Name = "share.auto.offset.reset", Value = "earliest", IncrementalOperation = AlterConfigOpType.Set }],
            });
        }

        using (var producer = Clients.Producer(cluster.BootstrapServers))
        {
            for (var p = 0; p < Partitions; p++)
            {
                await Clients.ProduceAsync(producer, topic, p, Count / Partitions, $"p{p}-");
            }
        }

        var confirmed = new HashSet<(int, long)>();
        using var consumer = new ShareConsumer(new ShareConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "queue-workers",
            AcknowledgementMode = ShareAcknowledgementMode.Explicit,
            MaxPollRecords = 50,
        });
        consumer.Subscribe([topic]);
        Consume(consumer, confirmed, () => confirmed.Count >= Count / 2);

        cluster.Kill(victim);
        output.WriteLine($"killed broker {victim} after {confirmed.Count} confirmed acknowledgements");
        Consume(consumer, confirmed, () => confirmed.Count >= Count);

        Assert.Equal(Count, confirmed.Count);
        Assert.Equal(
            Enumerable.Range(0, Partitions).SelectMany(p => Enumerable.Range(0, Count / Partitions).Select(o => (p, (long)o))).Order(),
            confirmed.Order());
    }

    /// <summary>
    /// Accepts every record and commits; a record counts as confirmed once its commit succeeded, and a record delivered
    /// again after it was confirmed fails the test at once.
    /// </summary>
    private void Consume(ShareConsumer consumer, HashSet<(int, long)> confirmed, Func<bool> done)
    {
        var deadline = DateTime.UtcNow + TestClusters.WaitLimit;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {confirmed.Count} of {Count} records confirmed");
            var batch = consumer.Consume(TimeSpan.FromMilliseconds(500)).Where(r => !r.IsError).ToList();
            foreach (var record in batch)
            {
                Assert.False(confirmed.Contains((record.Partition, record.Offset)), $"{record.Partition}@{record.Offset} delivered again (delivery count {record.DeliveryCount}) after its acknowledgement was confirmed");
                consumer.Acknowledge(record, AcknowledgeType.Accept);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var results = consumer.CommitSync(TimeSpan.FromSeconds(30));
                var failed = results.Where(r => !r.Succeeded).Select(r => r.Partition).ToHashSet();
                foreach (var record in batch.Where(r => !failed.Contains(r.Partition)))
                {
                    confirmed.Add((record.Partition, record.Offset));
                }

                if (failed.Count > 0)
                {
                    output.WriteLine($"commit failed for partitions {string.Join(',', failed)}: those records may come again");
                }
            }
            catch (ShareConsumerException e)
            {
                output.WriteLine($"commit failed ({e.Message}): the batch may come again");
            }
        }
    }
}
