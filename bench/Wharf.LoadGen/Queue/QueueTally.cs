using System.Globalization;
using Wharf.LoadGen.Drivers;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// The exactly-once check of one consume phase: every consumer reports each message it receives (before
/// acknowledging it); a sequence seen twice is a duplicate, one never seen is lost, one of another run is foreign
/// (<see cref="DeliveryCheck"/>, one bit per message). The first duplicated sequences are kept by id, as the delivery
/// check keeps the first lost ones. <see cref="Completion"/> finishes when every sequence has arrived — a duplicate
/// cannot stand in for a lost message — which is when the consumers stop.
/// Thread-safety: <see cref="Record(int, long)"/> from any number of consumer threads at once; the rest from any thread.
/// </summary>
public sealed class QueueTally
{
    private const int MaxDuplicatesListed = 10;

    private readonly DeliveryCheck _check;
    private readonly long[] _perConsumer;
    private readonly List<long> _firstDuplicated = [];
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;

    public QueueTally(long expected, long runTag, int consumers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expected, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(consumers, 1);
        Expected = expected;
        RunTag = runTag;
        _check = new DeliveryCheck(expected);
        _perConsumer = new long[consumers];
    }

    public long Expected { get; }

    /// <summary>The tag the producer stamped into every message of this run (<see cref="QueueMessage"/>).</summary>
    public long RunTag { get; }

    public int Consumers => _perConsumer.Length;

    /// <summary>Different expected messages received so far.</summary>
    public long Distinct => _check.Distinct;

    /// <summary>Every arrival, duplicates and foreign ones included.</summary>
    public long Received => Interlocked.Read(ref _received);

    public bool IsComplete => _completion.Task.IsCompleted;

    /// <summary>Finishes when every expected sequence has arrived at least once.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Counts one arrival at <paramref name="consumer"/> of the message with <paramref name="payload"/>.</summary>
    public void Record(int consumer, ReadOnlySpan<byte> payload) => Record(consumer, QueueMessage.SequenceOf(payload, RunTag));

    /// <summary>Counts one arrival at <paramref name="consumer"/> of <paramref name="sequence"/> (−1: foreign).</summary>
    public void Record(int consumer, long sequence)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _perConsumer[consumer]);
        if (_check.Record(sequence))
        {
            if (_check.Distinct == Expected)
            {
                _completion.TrySetResult();
            }
        }
        else if ((ulong)sequence < (ulong)Expected)
        {
            lock (_firstDuplicated)
            {
                if (_firstDuplicated.Count < MaxDuplicatesListed)
                {
                    _firstDuplicated.Add(sequence);
                }
            }
        }
    }

    /// <summary>The outcome, once the consumers have stopped; <paramref name="leftInQueue"/> is what the broker still
    /// holds for the queue (ready or unacknowledged), −1 when the driver cannot tell.</summary>
    public QueueDeliveryResult Result(long leftInQueue)
    {
        long[] duplicated;
        lock (_firstDuplicated)
        {
            duplicated = [.. _firstDuplicated];
        }

        return new QueueDeliveryResult(_check.Result(Expected), duplicated, leftInQueue, [.. _perConsumer]);
    }
}

/// <summary>
/// What one consume phase delivered: the <see cref="DeliveryCheck"/> counts with the first lost and duplicated ids,
/// what the broker still held for the queue afterwards, and how many messages each consumer received.
/// </summary>
public sealed record QueueDeliveryResult(DeliveryResult Delivery, IReadOnlyList<long> FirstDuplicated, long LeftInQueue, IReadOnlyList<long> PerConsumer)
{
    /// <summary>Every message consumed exactly once, nothing foreign, and the queue empty (when the driver can tell).</summary>
    public bool ExactlyOnce => Delivery.ExactlyOnce && LeftInQueue <= 0;

    public override string ToString() =>
        $"{Delivery}{(FirstDuplicated.Count > 0 ? $" (first duplicated: {string.Join(", ", FirstDuplicated)})" : "")}; "
        + $"{(LeftInQueue < 0 ? "queue depth not checked" : string.Create(CultureInfo.InvariantCulture, $"{LeftInQueue:N0} left in the queue"))}; "
        + $"per consumer {string.Join(" / ", PerConsumer.Select(c => c.ToString("N0", CultureInfo.InvariantCulture)))}";
}
