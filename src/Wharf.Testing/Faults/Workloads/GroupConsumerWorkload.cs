using Confluent.Kafka;
using Wharf.Testing.Faults.History;

namespace Wharf.Testing.Faults.Workloads;

/// <summary>
/// A consumer in a group subscribed to the topic, read_committed, that records every record it receives, every
/// assignment change (its poll order starts over there) and, every <paramref name="commitInterval"/>, the offsets it
/// committed (ok) or tried to (info). A fatal error starts a new consumer in the same group.
/// Thread-safety: one task runs it; the rebalance callbacks run inside its Consume calls.
/// </summary>
public sealed class GroupConsumerWorkload(WorkloadContext context, string process, TimeSpan commitInterval)
{
    /// <summary>Runs until <paramref name="stop"/>, blocking the calling thread (give it a dedicated one).</summary>
    public void Run(CancellationToken stop)
    {
        var group = $"fault-group-{context.RunId}";
        while (!stop.IsCancellationRequested)
        {
            using var consumer = new ConsumerBuilder<string, string>(context.ConsumerConfig(group))
                .SetLogHandler(WorkloadContext.Quiet)
                .SetPartitionsAssignedHandler((_, _) => context.Record(process, OpType.Ok, OpKind.Assign))
                .SetPartitionsRevokedHandler((_, _) => context.Record(process, OpType.Ok, OpKind.Assign))
                .SetPartitionsLostHandler((_, _) => context.Record(process, OpType.Ok, OpKind.Assign))
                .Build();
            consumer.Subscribe(context.Topic);
            var lastCommit = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false, Message: not null } result)
                    {
                        context.RecordPoll(process, result);
                    }

                    if (lastCommit.Elapsed >= commitInterval)
                    {
                        Commit(consumer);
                        lastCommit.Restart();
                    }
                }
            }
            catch (ConsumeException e) when (e.Error.IsFatal)
            {
                context.Record(process, OpType.Info, OpKind.Poll, error: e.Error.Reason);
            }
            finally
            {
                consumer.Close();
            }
        }
    }

    private void Commit(IConsumer<string, string> consumer)
    {
        try
        {
            foreach (var committed in consumer.Commit())
            {
                context.Record(process, OpType.Ok, OpKind.Commit, WorkloadContext.PartitionName(committed.Topic, committed.Partition.Value), offset: committed.Offset.Value);
            }
        }
        catch (KafkaException e)
        {
            context.Record(process, OpType.Info, OpKind.Commit, error: e.Error.Reason);
        }
    }
}
