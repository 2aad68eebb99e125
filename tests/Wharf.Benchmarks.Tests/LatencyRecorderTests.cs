using System.Diagnostics;
using Wharf.LoadGen.Drivers;

namespace Wharf.Benchmarks.Tests;

/// <summary>
/// The latency recorder refuses to report percentiles unless every sent message arrived exactly once: a lost
/// message, a duplicate and a foreign sequence each fail the run with the count in the message.
/// </summary>
public sealed class LatencyRecorderTests
{
    private const long Sent = 5;

    [Fact]
    public void Result_EveryMessageOnce_ReturnsOneLatencyPerMessage()
    {
        var recorder = Receive(0, 1, 2, 3, 4);

        var latencies = recorder.Result(Sent);

        Assert.Equal(5, latencies.Length);
        Assert.All(latencies, latency => Assert.True(latency >= 0));
        Assert.True(recorder.Check(Sent).ExactlyOnce);
    }

    [Fact]
    public void Result_LostMessage_FailsNamingIt()
    {
        var recorder = Receive(0, 1, 2, 4);

        var failure = Assert.Throws<DeliveryCheckException>(() => recorder.Result(Sent));

        Assert.Equal(1, failure.Result.Lost);
        Assert.Equal([3L], failure.Result.FirstLost);
        Assert.Equal(0, failure.Result.Duplicates);
        Assert.Contains("1 lost (first: 3)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Result_DuplicatedMessage_FailsCountingIt()
    {
        var recorder = Receive(0, 1, 2, 2, 3, 4);

        var failure = Assert.Throws<DeliveryCheckException>(() => recorder.Result(Sent));

        Assert.Equal(1, failure.Result.Duplicates);
        Assert.Equal(0, failure.Result.Lost);
        Assert.Contains("1 duplicated", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Distinct_DuplicateDoesNotStandInForALostMessage()
    {
        // A consumer that stopped after Sent arrivals would miss message 4 behind the duplicate of 2.
        var recorder = Receive(0, 1, 2, 2, 3);

        Assert.Equal(Sent, recorder.Received);
        Assert.Equal(4, recorder.Distinct);
        Assert.IsType<DeliveryCheckException>(recorder.Stalled(Sent, "test"));
    }

    [Fact]
    public void Result_SequenceOutsideTheRun_FailsAsForeign()
    {
        var recorder = Receive(0, 1, 2, 3, 4, 99, -1);

        var failure = Assert.Throws<DeliveryCheckException>(() => recorder.Result(Sent));

        Assert.Equal(2, failure.Result.Foreign);
    }

    [Fact]
    public void Check_FewerSentThanExpected_CountsLaterSequencesAsForeign()
    {
        var recorder = Receive(0, 1, 2, 3, 4);

        var result = recorder.Check(sent: 4);

        Assert.Equal(1, result.Foreign);
        Assert.Equal(4, result.Received);
    }

    [Fact]
    public void Stalled_NothingMissingYet_IsAPlainTimeout()
    {
        var recorder = Receive(0, 1);

        Assert.IsType<TimeoutException>(recorder.Stalled(2, "test"));
    }

    private static LatencyRecorder Receive(params long[] sequences)
    {
        var recorder = new LatencyRecorder(Sent, skipBelow: 0);
        foreach (var sequence in sequences)
        {
            recorder.Record(new Probe(1024, Stopwatch.GetTimestamp(), sequence));
        }

        return recorder;
    }
}
