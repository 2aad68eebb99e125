using Confluent.Kafka;

namespace Wharf.Cli.Produce;

/// <summary>What one partition received: how many records and the offsets of the first and last (null with acks=0).</summary>
internal sealed record PartitionDelivery(int Partition, long Records, long? FirstOffset, long? LastOffset);

/// <summary>
/// Counts delivery reports: records delivered per partition (with the offset range they got) and failures, keeping
/// the first failure's error to report. Thread-safety: <see cref="Report"/> runs on the producer's delivery thread
/// while the command reads the counts; every access takes the lock.
/// </summary>
internal sealed class DeliveryTally
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, PartitionDelivery> _partitions = [];
    private long _delivered;
    private long _failed;

    public Error? FirstError { get; private set; }

    public long Delivered
    {
        get
        {
            lock (_lock)
            {
                return _delivered;
            }
        }
    }

    public long Failed
    {
        get
        {
            lock (_lock)
            {
                return _failed;
            }
        }
    }

    public void Report(DeliveryReport<byte[]?, byte[]> report)
    {
        lock (_lock)
        {
            if (report.Error.IsError)
            {
                _failed++;
                FirstError ??= report.Error;
                return;
            }

            _delivered++;
            long? offset = report.Offset.Value >= 0 ? report.Offset.Value : null;
            var partition = report.Partition.Value;
            _partitions[partition] = _partitions.TryGetValue(partition, out var seen)
                ? seen with
                {
                    Records = seen.Records + 1,
                    FirstOffset = Min(seen.FirstOffset, offset),
                    LastOffset = Max(seen.LastOffset, offset),
                }
                : new PartitionDelivery(partition, 1, offset, offset);
        }
    }

    public IReadOnlyList<PartitionDelivery> Partitions()
    {
        lock (_lock)
        {
            return [.. _partitions.Values];
        }
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
