using Confluent.Kafka;

namespace Wharf.Cli.Consume;

/// <summary>
/// The consume loop: positions each partition at its start offset when it is first assigned, prints records until
/// stopped, and knows when every assigned partition has reached its end (for <c>--exit-at-end</c>). A partition is
/// at its end from its end-of-partition event until a record of it arrives. Stopping (the token, the record limit,
/// the end, or a closed stdout such as <c>| head</c>) returns normally; other consume errors throw.
/// Thread-safety: one thread; the rebalance handlers run inside <c>Consume</c> on that same thread.
/// </summary>
internal sealed class TopicReader(string topic, IReadOnlyDictionary<int, Offset> starts, bool exitAtEnd)
{
    private readonly HashSet<int> _assigned = [];
    private readonly HashSet<int> _started = [];
    private readonly HashSet<int> _atEnd = [];

    public IConsumer<byte[]?, byte[]?> Build(ConsumerConfig config) =>
        new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .SetPartitionsAssignedHandler((_, assigned) => assigned.Select(p =>
            {
                _assigned.Add(p.Partition.Value);

                // --from applies to a partition's first assignment only; after a rebalance the group's commit wins.
                var offset = _started.Add(p.Partition.Value) ? starts.GetValueOrDefault(p.Partition.Value, Offset.Unset) : Offset.Unset;
                return new TopicPartitionOffset(p, offset == Offset.Stored ? Offset.Unset : offset);
            }))
            .SetPartitionsRevokedHandler((_, revoked) =>
            {
                foreach (var partition in revoked)
                {
                    _assigned.Remove(partition.Partition.Value);
                    _atEnd.Remove(partition.Partition.Value);
                }
            })
            .Build();

    /// <summary>Reads the chosen partitions directly (no group membership).</summary>
    public void Assign(IConsumer<byte[]?, byte[]?> consumer)
    {
        foreach (var partition in starts.Keys)
        {
            _assigned.Add(partition);
            _started.Add(partition);
        }

        consumer.Assign(starts.Select(s => new TopicPartitionOffset(topic, s.Key, s.Value)));
    }

    public void Run(IConsumer<byte[]?, byte[]?> consumer, TextWriter output, RecordFormat format, long? limit, bool commit, CancellationToken stop)
    {
        long printed = 0;
        try
        {
            while (limit is null || printed < limit)
            {
                var result = consumer.Consume(TimeSpan.Zero);
                if (result is null)
                {
                    output.Flush();
                    result = consumer.Consume(stop);
                }

                var partition = result.Partition.Value;
                if (result.IsPartitionEOF)
                {
                    _atEnd.Add(partition);
                    if (exitAtEnd && _assigned.Count > 0 && _assigned.IsSubsetOf(_atEnd))
                    {
                        break;
                    }

                    continue;
                }

                _atEnd.Remove(partition);
                format.Write(output, result);
                printed++;
                if (commit)
                {
                    consumer.StoreOffset(result);
                }
            }

            output.Flush();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Flush(output);
        }
        catch (IOException)
        {
            // stdout was closed by its reader (`| head`): nothing more can be printed, so stop like -n would.
        }
    }

    private static void Flush(TextWriter output)
    {
        try
        {
            output.Flush();
        }
        catch (IOException)
        {
            // stdout is gone; there is nobody left to print to.
        }
    }
}
