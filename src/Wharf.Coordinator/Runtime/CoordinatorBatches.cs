using Microsoft.Extensions.Logging;
using Wharf.Records;

namespace Wharf.Coordinator.Runtime;

/// <summary>
/// Turns <see cref="CoordinatorRecord"/>s into a record batch (magic 2) for <see cref="IPartitionWriter.AppendAsync"/>
/// and batches read back from a partition into records for <see cref="ICoordinatorShard.Replay"/>.
/// Thread-safety: stateless.
/// </summary>
internal static class CoordinatorBatches
{
    /// <summary>Largest decompressed batch a replay accepts; a bigger one is skipped as unreadable.</summary>
    private const int MaxDecompressedBatchBytes = 64 << 20;

    /// <summary>One batch of <paramref name="records"/> (see the invariant on <see cref="CoordinatorRecord"/>).</summary>
    public static byte[] Build(IReadOnlyList<CoordinatorRecord> records, long timestamp)
    {
        var first = records[0];
        var builder = new RecordBatchBuilder();
        if (first.IsTransactional)
        {
            builder.ProducerId = first.ProducerId;
            builder.ProducerEpoch = first.ProducerEpoch;
        }

        if (first.Marker is { } marker)
        {
            if (records.Count != 1)
            {
                throw new ArgumentException("A transaction marker is a batch of its own.", nameof(records));
            }

            return builder.AppendEndTransactionMarker(marker, timestamp).ToArray();
        }

        if (first.IsTransactional)
        {
            builder.IsTransactional = true;
            builder.BaseSequence = 0;
        }

        foreach (var record in records)
        {
            if (record.Marker is not null || record.IsTransactional != first.IsTransactional || record.ProducerId != first.ProducerId)
            {
                throw new ArgumentException("The records of one write must share their producer and kind.", nameof(records));
            }

            builder.Append(timestamp, record.Key, record.Value);
        }

        return builder.ToArray();
    }

    /// <summary>
    /// The records of a chunk of whole batches, in offset order. Unreadable batches are logged and skipped (a replay
    /// must not stop at one bad batch); a truncated tail ends the chunk.
    /// </summary>
    public static List<CoordinatorRecord> Read(ReadOnlySpan<byte> chunk, ILogger logger, string topic, int partition)
    {
        var records = new List<CoordinatorRecord>();
        for (var position = 0; position + RecordBatchLayout.HeaderSize <= chunk.Length;)
        {
            var header = RecordBatchHeader.Read(chunk[position..]);
            if (header.TotalSize <= 0 || position + header.TotalSize > chunk.Length)
            {
                break;
            }

            var batch = chunk.Slice(position, header.TotalSize);
            position += header.TotalSize;
            var error = RecordBatchReader.TryOpen(batch, MaxDecompressedBatchBytes, out var reader);
            if (error != RecordBatchError.None)
            {
                logger.LogWarning("Skipping an unreadable batch at offset {Offset} of {Topic}-{Partition}: {Error}", header.BaseOffset, topic, partition, error);
                continue;
            }

            using (reader)
            {
                var producerId = header.HasProducerId ? header.ProducerId : -1;
                foreach (var record in reader)
                {
                    if (header.IsControl)
                    {
                        if (header.HasProducerId && EndTransactionMarker.TryRead(record, out var marker))
                        {
                            records.Add(CoordinatorRecord.EndTransaction(producerId, header.ProducerEpoch, marker));
                        }

                        continue;
                    }

                    if (record.IsKeyNull)
                    {
                        continue;
                    }

                    var key = record.Key.ToArray();
                    var value = record.IsValueNull ? null : record.Value.ToArray();
                    records.Add(header.IsTransactional && header.HasProducerId
                        ? CoordinatorRecord.Transactional(producerId, header.ProducerEpoch, key, value)
                        : CoordinatorRecord.Data(key, value));
                }
            }
        }

        return records;
    }
}
