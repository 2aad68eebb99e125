using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>
/// <c>message.timestamp.before.max.ms</c> and <c>message.timestamp.after.max.ms</c> (KIP-937): on a CreateTime topic,
/// every record of a client's batch must carry a timestamp no further than the first in the past and no further
/// than the second in the future of the broker's clock, else the append is refused with INVALID_TIMESTAMP. Both
/// default to unlimited, and then nothing is checked (the produce path stays as it is); when one is set, every record
/// is read (compressed batches are decompressed within the log's bound). LogAppendTime topics are not checked: the
/// broker's time replaces the producer's. Thread-safety: stateless.
/// </summary>
internal static class TimestampBounds
{
    /// <summary>Whether <paramref name="config"/> asks for any check.</summary>
    public static bool Apply(LogConfig config) =>
        config.MessageTimestampType == TimestampType.CreateTime
        && (config.MessageTimestampBeforeMaxMs != long.MaxValue || config.MessageTimestampAfterMaxMs != long.MaxValue);

    /// <exception cref="LogException">with <see cref="ErrorCode.InvalidTimestamp"/>: a record is out of bounds.</exception>
    /// <exception cref="InvalidRecordBatchException">a batch does not decompress within <paramref name="maxDecompressedBytes"/>.</exception>
    public static void Check(ReadOnlySpan<byte> records, LogConfig config, long nowMs, int maxDecompressedBytes)
    {
        for (var position = 0; position < records.Length;)
        {
            var header = RecordBatchHeader.Read(records[position..]);
            var error = RecordBatchReader.TryOpen(records.Slice(position, header.TotalSize), maxDecompressedBytes, out var reader);
            if (error != RecordBatchError.None)
            {
                throw new InvalidRecordBatchException(error, $"Could not read a batch to check its timestamps: {error}.");
            }

            using (reader)
            {
                foreach (var record in reader)
                {
                    CheckOne(record.Timestamp, config, nowMs);
                }
            }

            position += header.TotalSize;
        }
    }

    private static void CheckOne(long timestamp, LogConfig config, long nowMs)
    {
        if (nowMs - timestamp > config.MessageTimestampBeforeMaxMs)
        {
            throw new LogException(ErrorCode.InvalidTimestamp,
                $"Timestamp {timestamp} is {nowMs - timestamp} ms before the broker's time; message.timestamp.before.max.ms is {config.MessageTimestampBeforeMaxMs}.");
        }

        if (timestamp - nowMs > config.MessageTimestampAfterMaxMs)
        {
            throw new LogException(ErrorCode.InvalidTimestamp,
                $"Timestamp {timestamp} is {timestamp - nowMs} ms after the broker's time; message.timestamp.after.max.ms is {config.MessageTimestampAfterMaxMs}.");
        }
    }
}
