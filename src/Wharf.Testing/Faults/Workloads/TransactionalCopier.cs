using System.Globalization;
using Confluent.Kafka;
using Wharf.Testing.Faults.History;

namespace Wharf.Testing.Faults.Workloads;

/// <summary>
/// Consume-transform-produce with transactions: a read_committed consumer in a group reads the topic; for each batch a
/// transactional producer writes <c>{process}:{txn}:{input value}</c> to the same partition of the copy topic, adds the
/// consumer's positions to the transaction and commits — or, for a seeded share of batches, aborts and rewinds the
/// consumer to the batch start (so aborted records exist and must never be read). Each transaction is recorded as
/// invoke and ok (committed), fail (aborted) or info (unknown); each copy as a send naming its transaction. An error
/// mid-transaction aborts it if it can and starts a new producer and consumer (a new incarnation).
/// Thread-safety: one task runs it; delivery reports only record.
/// </summary>
public sealed class TransactionalCopier(WorkloadContext context, string process, double abortShare, int maxBatch = 20)
{
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs until <paramref name="stop"/>, blocking the calling thread (give it a dedicated one).</summary>
    public void Run(CancellationToken stop)
    {
        var random = new Random(context.Seed);
        var group = $"fault-copier-{context.RunId}";
        var transactions = 0;
        for (var incarnation = 1; !stop.IsCancellationRequested; incarnation++)
        {
            var producerConfig = context.ProducerConfig();
            producerConfig.TransactionalId = $"fault-copier-{context.RunId}-{process}";
            producerConfig.TransactionTimeoutMs = 60_000;
            using var producer = new ProducerBuilder<string, string>(producerConfig).SetLogHandler(WorkloadContext.Quiet).Build();
            using var consumer = new ConsumerBuilder<string, string>(context.ConsumerConfig(group))
                .SetLogHandler(WorkloadContext.Quiet)
                .SetPartitionsAssignedHandler((_, _) => context.Record(process, OpType.Ok, OpKind.Assign))
                .SetPartitionsRevokedHandler((_, _) => context.Record(process, OpType.Ok, OpKind.Assign))
                .Build();
            try
            {
                producer.InitTransactions(TransactionTimeout);
                consumer.Subscribe(context.Topic);
                while (!stop.IsCancellationRequested)
                {
                    var batch = ReadBatch(consumer, stop);
                    if (batch.Count == 0)
                    {
                        continue;
                    }

                    var txn = $"{process}.{transactions++}";
                    if (!CopyBatch(producer, consumer, batch, txn, random.NextDouble() < abortShare))
                    {
                        break;
                    }
                }
            }
            catch (KafkaException e)
            {
                context.Record(process, OpType.Info, OpKind.Txn, error: $"incarnation {incarnation}: {e.Error.Reason}");
            }
            finally
            {
                consumer.Close();
            }
        }
    }

    private List<ConsumeResult<string, string>> ReadBatch(IConsumer<string, string> consumer, CancellationToken stop)
    {
        var batch = new List<ConsumeResult<string, string>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (batch.Count < maxBatch && clock.ElapsedMilliseconds < 300 && !stop.IsCancellationRequested)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false, Message: not null } result)
            {
                context.RecordPoll(process, result);
                batch.Add(result);
            }
        }

        return batch;
    }

    /// <returns>False when the producer or consumer must be replaced.</returns>
    private bool CopyBatch(IProducer<string, string> producer, IConsumer<string, string> consumer, List<ConsumeResult<string, string>> batch, string txn, bool abort)
    {
        context.Record(process, OpType.Invoke, OpKind.Txn, txn: txn);
        try
        {
            producer.BeginTransaction();
            foreach (var record in batch)
            {
                var value = $"{process}:{txn}:{record.Message.Value}";
                context.Record(process, OpType.Invoke, OpKind.Send, WorkloadContext.PartitionName(context.CopyTopic, record.Partition.Value), value, txn: txn);
                producer.Produce(new TopicPartition(context.CopyTopic, record.Partition), new Message<string, string> { Key = value, Value = value }, report => context.RecordDelivery(process, report, txn));
            }

            var positions = batch.GroupBy(r => r.TopicPartition).Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1));
            producer.SendOffsetsToTransaction(positions, consumer.ConsumerGroupMetadata, TransactionTimeout);
            if (abort)
            {
                producer.AbortTransaction(TransactionTimeout);
                context.Record(process, OpType.Fail, OpKind.Txn, txn: txn);
                Rewind(consumer, batch);
                return true;
            }

            producer.CommitTransaction(TransactionTimeout);
            context.Record(process, OpType.Ok, OpKind.Txn, txn: txn);
            return true;
        }
        catch (KafkaException e)
        {
            var aborted = false;
            if (e is KafkaTxnRequiresAbortException || !abort)
            {
                try
                {
                    producer.AbortTransaction(TransactionTimeout);
                    aborted = true;
                }
                catch (KafkaException)
                {
                }
            }

            context.Record(process, aborted ? OpType.Fail : OpType.Info, OpKind.Txn, txn: txn, error: e.Error.Reason);
            return false;
        }
    }

    private void Rewind(IConsumer<string, string> consumer, List<ConsumeResult<string, string>> batch)
    {
        foreach (var start in batch.GroupBy(r => r.TopicPartition).Select(g => new TopicPartitionOffset(g.Key, g.Min(r => r.Offset.Value))))
        {
            consumer.Seek(start);
        }

        context.Record(process, OpType.Ok, OpKind.Assign, value: "rewound " + batch.Count.ToString(CultureInfo.InvariantCulture) + " records after an abort");
    }
}
