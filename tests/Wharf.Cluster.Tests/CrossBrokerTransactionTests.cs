using Confluent.Kafka;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Transactions whose partitions are led by different brokers: the transaction coordinator must get its markers to
/// every leader, so a read_committed consumer sees exactly the committed records on all 12 partitions.
/// </summary>
public sealed class CrossBrokerTransactionTests(ITestOutputHelper output)
{
    private const int Partitions = 12;
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(30);

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task TransactionsOverPartitionsOnEveryBroker_CommitAndAbort_ReadCommittedSeesExactlyTheCommittedRecords()
    {
        await using var own = await TestClusters.StartAsync(output);
        var cluster = own.Cluster;
        var topic = TestClusters.Name("txn");
        await Clients.CreateTopicAsync(cluster.BootstrapServers, topic, Partitions);
        using (var admin = Clients.Admin(cluster.BootstrapServers))
        {
            Assert.Equal([1, 2, 3], Clients.Leaders(admin, topic).Values.Distinct().Order());
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

        for (var partition = 0; partition < Partitions; partition++)
        {
            var read = Clients.ReadPartition(cluster.BootstrapServers, topic, partition, 2, IsolationLevel.ReadCommitted);
            Assert.Equal([$"first-p{partition}", $"second-p{partition}"], read.Select(r => r.Message.Value));
        }

        // Nothing beyond them: the aborted records and the markers are all that follows (read_uncommitted sees 3 records).
        for (var partition = 0; partition < Partitions; partition++)
        {
            var all = Clients.ReadPartition(cluster.BootstrapServers, topic, partition, 3);
            Assert.Equal([$"first-p{partition}", $"aborted-p{partition}", $"second-p{partition}"], all.Select(r => r.Message.Value));
        }
    }
}
