using Wharf.LoadGen.Cluster;

namespace Wharf.Benchmarks.Tests;

/// <summary>What a producer's acknowledgements say about a leader stopped under it.</summary>
public sealed class UnavailabilityTests
{
    [Fact]
    public void Measure_KillWithRetriedMessages_GapSpansTheKillAndTheFirstAckIsOfAMessageSentAfterIt()
    {
        // Acked every 0.1 s until 1.0; the leader is killed at 1.05; the message sent at 1.0 is retried and acked at
        // 2.5, the first one sent after the kill (1.1) at 2.6.
        List<Acknowledgement> acks = [.. Steady(0, 1.0), new(1.0, 2.5), new(1.1, 2.6), new(1.2, 2.61)];

        var seen = Unavailability.Measure(acks, stoppedAt: 1.05);

        Assert.NotNull(seen);
        Assert.Equal(1.5, seen.LargestGapSeconds, 6);
        Assert.Equal(1.55, seen.FirstAckSeconds, 6);
        Assert.Equal(1.5, seen.WorstWaitSeconds, 6);
        Assert.Equal(0.1, seen.BaselineGapSeconds, 6);
        Assert.Equal(11, seen.AckedBeforeStop);
        Assert.Equal(3, seen.AckedAfterStop);
    }

    [Fact]
    public void Measure_ControlledShutdownThatHandsOverLater_GapIsTheHandOverNotTheSignal()
    {
        // SIGTERM at 1.0: the old leader acknowledges on until 1.2, the new one from 1.5.
        List<Acknowledgement> acks = [.. Steady(0, 1.2), new(1.3, 1.5), new(1.4, 1.51), .. Steady(1.6, 2.0)];

        var seen = Unavailability.Measure(acks, stoppedAt: 1.0);

        Assert.NotNull(seen);
        Assert.Equal(0.3, seen.LargestGapSeconds, 6);
        Assert.Equal(0.1, seen.FirstAckSeconds, 6);
        Assert.Equal(0.2, seen.WorstWaitSeconds, 6);
    }

    [Fact]
    public void Measure_AcknowledgementsInAnyOrder_GiveTheSameFigures()
    {
        List<Acknowledgement> acks = [new(0.0, 0.1), new(0.5, 3.0), new(0.1, 0.2), new(0.6, 3.1)];

        var seen = Unavailability.Measure(acks, stoppedAt: 0.4);

        Assert.NotNull(seen);
        Assert.Equal(2.8, seen.LargestGapSeconds, 6);
        Assert.Equal(2.6, seen.FirstAckSeconds, 6);
    }

    [Fact]
    public void Measure_NoAcknowledgementBeforeTheStop_MeasuresTheGapFromTheStop()
    {
        var seen = Unavailability.Measure([new Acknowledgement(2.0, 2.4)], stoppedAt: 1.0);

        Assert.NotNull(seen);
        Assert.Equal(1.4, seen.LargestGapSeconds, 6);
        Assert.Equal(0, seen.BaselineGapSeconds);
        Assert.Equal(0, seen.AckedBeforeStop);
    }

    [Fact]
    public void Measure_NothingSentAfterTheStopWasAcknowledged_IsNull()
    {
        Assert.Null(Unavailability.Measure([new Acknowledgement(0.0, 0.1), new Acknowledgement(0.9, 3.0)], stoppedAt: 1.0));
    }

    /// <summary>One message every 0.1 s from <paramref name="from"/> to <paramref name="to"/>, each acked 0.01 s after it was sent.</summary>
    private static IEnumerable<Acknowledgement> Steady(double from, double to) =>
        Enumerable.Range(0, (int)Math.Round((to - from) * 10) + 1).Select(i => new Acknowledgement(from + i / 10.0 - 0.01, from + i / 10.0));
}
