using System.Diagnostics;

namespace Wharf.Client.Tests;

/// <summary>
/// Reads records from a share consumer until enough have arrived or a deadline passes; for end-to-end tests
/// against a broker serving share groups.
/// </summary>
/// <remarks>
/// Each Consume waits for the time left, so the loop returns as soon as a batch arrives and never sleeps. In
/// explicit mode every record of a batch (errors included) is acknowledged before the next Consume, with the
/// type <c>acknowledge</c> picks (Accept by default); in implicit mode the next Consume accepts the batch.
/// Thread-safety: uses the consumer from the calling thread only, as ShareConsumer requires.
/// </remarks>
public static class ShareConsumerDrain
{
    /// <summary>
    /// Consumes until at least <paramref name="count"/> data records (not counting per-record errors) have arrived,
    /// and returns everything consumed, errors included, in delivery order; the last batch may take it past
    /// <paramref name="count"/>.
    /// </summary>
    /// <exception cref="TimeoutException">
    /// <paramref name="deadline"/> passed first; the message lists what had arrived.
    /// </exception>
    public static IReadOnlyList<ShareRecord> Drain(
        this ShareConsumer consumer,
        int count,
        TimeSpan deadline,
        Func<ShareRecord, AcknowledgeType>? acknowledge = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var records = new List<ShareRecord>();
        var dataRecords = 0;
        var clock = Stopwatch.StartNew();
        while (dataRecords < count)
        {
            var left = deadline - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException(
                    $"Drained {dataRecords} of {count} records in {deadline}: [{string.Join(", ", records)}]");

            foreach (var record in consumer.Consume(left))
            {
                records.Add(record);
                if (!record.IsError)
                    dataRecords++;
                if (consumer.AcknowledgementMode == ShareAcknowledgementMode.Explicit)
                    consumer.Acknowledge(record, acknowledge?.Invoke(record) ?? AcknowledgeType.Accept);
            }
        }

        return records;
    }
}
