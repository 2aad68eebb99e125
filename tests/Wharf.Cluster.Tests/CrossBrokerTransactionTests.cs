using Confluent.Kafka;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Transactions whose partitions are led by different brokers: each leader must accept the transaction's writes
/// (its coordinator may be another broker) and the coordinator must get its markers to every leader, so a
/// read_committed consumer sees exactly the committed records on all 12 partitions. The 1-broker cluster is the
/// control: the same steps where coordinator and leaders are one process.
/// </summary>
public sealed class CrossBrokerTransactionTests(ITestOutputHelper output)
{
    private const int Partitions = 12;
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(30);

    [RequiresToolTheory(ExternalTool.Etcd)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task TransactionsOverPartitionsOnEveryBroker_CommitAndAbort_ReadCommittedSeesExactlyTheCommittedRecords(int brokers)
    {
        await using var own = await TestClusters.StartAsync(output, new WharfClusterOptions { Brokers = brokers, Settings = TestClusters.Options().Settings });
        var cluster = own.Cluster;
        var topic = TestClusters.Name("txn");
        await Clients.CreateTopicAsync(cluster.BootstrapServers, topic, Partitions);
        using (var admin = Clients.Admin(cluster.BootstrapServers))
        {
            Assert.Equal(cluster.NodeIds, Clients.Leaders(admin, topic).Values.Distinct().Order());
        }

        using (var producer = Clients.Producer(cluster.BootstrapServers, c => c.TransactionalId = TestClusters.Name("txn-id")))
        {
            producer.InitTransactions(CallLimit);
            foreach (var (prefix, commit) in new[] { ("first", true), ("aborted", false), ("second", true) })
            {
                producer.BeginTransaction();
                for (var partition = 0; partition < Partitions; partition++)
                {
                    producer.Produce(new TopicPartition(topic, partition), new Message<string, string> { Key = "k", Value = $"{prefix}-p{partition}" });
                }

                // Deliver them before ending the transaction: librdkafka drops still-queued records on abort, and then
                // the log would hold no aborted records for read_committed to skip.
                Assert.Equal(0, producer.Flush(CallLimit));
                if (commit)
                {
                    producer.CommitTransaction(CallLimit);
                }
                else
                {
                    producer.AbortTransaction(CallLimit);
                }
            }
        }

        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)).ToArray();
        var committed = Clients.Read(cluster.BootstrapServers, partitions, 2 * Partitions, IsolationLevel.ReadCommitted);
        var everything = Clients.Read(cluster.BootstrapServers, partitions, 3 * Partitions);
        for (var partition = 0; partition < Partitions; partition++)
        {
            Assert.Equal([$"first-p{partition}", $"second-p{partition}"], committed.Where(r => r.Partition.Value == partition).Select(r => r.Message.Value));

            // read_uncommitted sees the aborted records too; each partition holds 3 records and 3 markers, nothing else.
            Assert.Equal([$"first-p{partition}", $"aborted-p{partition}", $"second-p{partition}"], everything.Where(r => r.Partition.Value == partition).Select(r => r.Message.Value));
            Assert.Equal(6, Clients.Count(cluster.BootstrapServers, topic, partition));
        }
    }
}
