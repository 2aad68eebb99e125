using Confluent.Kafka;
using Wharf.Testing.Faults.History;

namespace Wharf.Testing.Faults.Workloads;

/// <summary>
/// A consumer that assigns itself every partition of the given topics from the beginning (no group, no commits) and
/// records every record it receives, read_committed. A fatal error starts a new consumer from the beginning, recorded
/// as an assignment change. Also the final drain: <see cref="DrainAsync"/> reads every partition to the end its
/// leader reports. Thread-safety: one task runs it.
/// </summary>
public sealed class AssignReader(WorkloadContext context, string process, IReadOnlyList<string> topics)
{
    private IEnumerable<TopicPartition> Partitions => topics.SelectMany(t => Enumerable.Range(0, context.Partitions).Select(p => new TopicPartition(t, p)));

    /// <summary>Runs until <paramref name="stop"/>, blocking the calling thread (give it a dedicated one).</summary>
    public void Run(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var consumer = Build();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false, Message: not null } result)
                    {
                        context.RecordPoll(process, result);
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

    /// <summary>
    /// Reads every partition from the beginning until the consumer's position reaches the end offset each leader
    /// reported at the start (read_committed stops at the last stable offset, which a healed cluster moves to the end).
    /// </summary>
    /// <returns>The partitions not read to their end within <paramref name="timeout"/> (empty when all were).</returns>
    public async Task<IReadOnlyList<TopicPartition>> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var consumer = Build();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var partition in Partitions)
        {
            while (!ends.ContainsKey(partition) && clock.Elapsed < timeout)
            {
                try
                {
                    ends[partition] = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(5)).High.Value;
                }
                catch (KafkaException)
                {
                    // No leader yet: ask again.
                }
            }
        }

        bool Done(TopicPartition p) => ends.TryGetValue(p, out var end) && (end == 0 || consumer.Position(p).Value >= end);
        while (clock.Elapsed < timeout && !Partitions.All(Done))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false, Message: not null } result)
                {
                    context.RecordPoll(process, result);
                }
            }
            catch (ConsumeException e)
            {
                context.Record(process, OpType.Info, OpKind.Poll, error: e.Error.Reason);
            }
        }

        var unfinished = Partitions.Where(p => !Done(p)).ToList();
        consumer.Close();
        return unfinished;
    }

    private IConsumer<string, string> Build()
    {
        var consumer = new ConsumerBuilder<string, string>(context.ConsumerConfig($"fault-reader-{context.RunId}-{process}")).SetLogHandler(WorkloadContext.Quiet).Build();
        consumer.Assign(Partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        context.Record(process, OpType.Ok, OpKind.Assign);
        return consumer;
    }
}
