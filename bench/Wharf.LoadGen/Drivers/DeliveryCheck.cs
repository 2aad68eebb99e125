namespace Wharf.LoadGen.Drivers;

/// <summary>
/// Exactly-once check over a run's sequence numbers. The producer numbers its messages 0 .. sent−1; the consumer
/// reports every sequence it receives. A sequence seen a second time is a duplicate, one in 0 .. sent−1 never seen
/// is lost, and one outside that range is foreign (another run's message, or a corrupt probe). One bit per expected
/// message, so a 10 M-message run costs 1.25 MB.
/// Thread-safety: <see cref="Record"/> from any number of consumer threads at once (each bit is set atomically); the
/// counters may be read from any thread; <see cref="Result"/> once the consumers have stopped.
/// </summary>
public sealed class DeliveryCheck(long capacity)
{
    private readonly ulong[] _seen = new ulong[(capacity + 63) / 64];
    private long _distinct;
    private long _duplicates;
    private long _foreign;

    /// <summary>Different in-range sequences received so far.</summary>
    public long Distinct => Interlocked.Read(ref _distinct);

    /// <summary>Arrivals of a sequence already received.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Arrivals of a sequence outside 0 .. capacity−1.</summary>
    public long Foreign => Interlocked.Read(ref _foreign);

    /// <summary>Counts one arrival; true when it is the first of an in-range sequence.</summary>
    public bool Record(long sequence)
    {
        if ((ulong)sequence >= (ulong)capacity)
        {
            Interlocked.Increment(ref _foreign);
            return false;
        }

        // Atomic, so that consumers on several threads (the queue benchmark's) cannot both see a sequence as new.
        var bit = 1UL << (int)(sequence & 63);
        if ((Interlocked.Or(ref _seen[sequence >> 6], bit) & bit) != 0)
        {
            Interlocked.Increment(ref _duplicates);
            return false;
        }

        Interlocked.Increment(ref _distinct);
        return true;
    }

    /// <summary>The outcome once <paramref name="sent"/> messages (sequences 0 .. sent−1) were produced.</summary>
    public DeliveryResult Result(long sent, int maxLostListed = 10)
    {
        var lost = new List<long>();
        long lostCount = 0;
        long beyondSent = 0;
        for (long sequence = 0; sequence < capacity; sequence++)
        {
            var seen = (_seen[sequence >> 6] & (1UL << (int)(sequence & 63))) != 0;
            if (sequence >= sent)
            {
                beyondSent += seen ? 1 : 0;
            }
            else if (!seen)
            {
                lostCount++;
                if (lost.Count < maxLostListed)
                {
                    lost.Add(sequence);
                }
            }
        }

        return new DeliveryResult(sent, Distinct - beyondSent, lostCount, Duplicates, Foreign + beyondSent, lost);
    }
}

/// <summary>What a <see cref="DeliveryCheck"/> found: every count but <see cref="Received"/> must be zero.</summary>
public sealed record DeliveryResult(long Sent, long Received, long Lost, long Duplicates, long Foreign, IReadOnlyList<long> FirstLost)
{
    /// <summary>Every sent message arrived exactly once and nothing else arrived.</summary>
    public bool ExactlyOnce => Lost == 0 && Duplicates == 0 && Foreign == 0;

    /// <summary>Throws <see cref="DeliveryCheckException"/> unless <see cref="ExactlyOnce"/>.</summary>
    public void ThrowUnlessExactlyOnce(string where)
    {
        if (!ExactlyOnce)
        {
            throw new DeliveryCheckException(this, where);
        }
    }

    public override string ToString() =>
        $"{Sent:N0} sent, {Received:N0} received once, {Lost:N0} lost{(FirstLost.Count > 0 ? $" (first: {string.Join(", ", FirstLost)})" : "")}, {Duplicates:N0} duplicated, {Foreign:N0} foreign";
}

/// <summary>A run lost, duplicated or invented messages; its figures must not be reported.</summary>
public sealed class DeliveryCheckException(DeliveryResult result, string where)
    : Exception($"delivery check failed in {where}: {result}; a figure measured over missing or repeated messages would be wrong")
{
    public DeliveryResult Result { get; } = result;
}
