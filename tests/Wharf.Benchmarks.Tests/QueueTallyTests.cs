using Wharf.LoadGen.Queue;

namespace Wharf.Benchmarks.Tests;

/// <summary>
/// The queue benchmark's exactly-once check: every message consumed once, by id, across concurrent consumers; lost,
/// duplicated, foreign and left-over messages each fail it and are named.
/// </summary>
public sealed class QueueTallyTests
{
    private const long RunTag = 0x5EED_0F_2026;

    [Fact]
    public void Result_EveryMessageOnce_IsExactlyOnceAndCompletes()
    {
        var tally = new QueueTally(4, RunTag, consumers: 2);

        foreach (var (consumer, sequence) in new[] { (0, 0L), (1, 1L), (0, 2L), (1, 3L) })
        {
            tally.Record(consumer, Message(sequence));
        }

        var result = tally.Result(leftInQueue: 0);
        Assert.True(tally.Completion.IsCompletedSuccessfully);
        Assert.True(result.ExactlyOnce);
        Assert.Equal([2L, 2L], result.PerConsumer);
    }

    [Fact]
    public void Result_DuplicateAndMissingIds_AreNamed()
    {
        var tally = new QueueTally(5, RunTag, consumers: 2);

        foreach (var (consumer, sequence) in new[] { (0, 0L), (1, 1L), (0, 1L), (1, 2L), (0, 4L) })
        {
            tally.Record(consumer, Message(sequence));
        }

        var result = tally.Result(leftInQueue: 0);
        Assert.False(tally.IsComplete);
        Assert.False(result.ExactlyOnce);
        Assert.Equal(1, result.Delivery.Lost);
        Assert.Equal([3L], result.Delivery.FirstLost);
        Assert.Equal(1, result.Delivery.Duplicates);
        Assert.Equal([1L], result.FirstDuplicated);
        Assert.Contains("first duplicated: 1", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Result_AnotherRunsMessage_IsForeignNotCounted()
    {
        var tally = new QueueTally(1, RunTag, consumers: 1);

        tally.Record(0, Message(0, RunTag + 1));
        tally.Record(0, Message(0));

        var result = tally.Result(leftInQueue: 0);
        Assert.Equal(1, result.Delivery.Foreign);
        Assert.Equal(1, result.Delivery.Received);
        Assert.False(result.ExactlyOnce);
    }

    [Fact]
    public void Result_MessagesLeftInTheQueue_FailsEvenWhenAllArrived()
    {
        var tally = new QueueTally(1, RunTag, consumers: 1);
        tally.Record(0, Message(0));

        Assert.False(tally.Result(leftInQueue: 3).ExactlyOnce);
        Assert.True(tally.Result(leftInQueue: -1).ExactlyOnce);
    }

    [Fact]
    public async Task Record_FromConcurrentConsumers_CountsEachIdOnce()
    {
        const int seed = 20261207;
        const long messages = 200_000;
        const int consumers = 4;
        var tally = new QueueTally(messages, RunTag, consumers);

        // Every id goes to one consumer at random, and 1 in 1,000 goes to a second one as well (a redelivery).
        var random = new Random(seed);
        var shares = Enumerable.Range(0, consumers).Select(_ => new List<long>()).ToArray();
        var redelivered = 0;
        for (long sequence = 0; sequence < messages; sequence++)
        {
            var first = random.Next(consumers);
            shares[first].Add(sequence);
            if (random.Next(1_000) == 0)
            {
                shares[(first + 1) % consumers].Add(sequence);
                redelivered++;
            }
        }

        await Task.WhenAll(shares.Select((share, consumer) => Task.Run(() =>
        {
            foreach (var sequence in share)
            {
                tally.Record(consumer, Message(sequence));
            }
        })));

        var result = tally.Result(leftInQueue: 0);
        Assert.True(result.Delivery.Lost == 0 && result.Delivery.Received == messages, $"seed {seed}: {result}");
        Assert.True(result.Delivery.Duplicates == redelivered, $"seed {seed}: {redelivered} redelivered, {result}");
        Assert.Equal(messages + redelivered, result.PerConsumer.Sum());
        Assert.True(tally.Completion.IsCompletedSuccessfully);
    }

    private static byte[] Message(long sequence, long runTag = RunTag)
    {
        var payload = new byte[64];
        QueueMessage.Stamp(payload, sequence, runTag);
        return payload;
    }
}
