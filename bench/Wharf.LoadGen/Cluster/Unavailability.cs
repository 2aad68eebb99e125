namespace Wharf.LoadGen.Cluster;

/// <summary>One acknowledged message: when it was handed to the producer and when its acknowledgement arrived, in
/// seconds from a common origin.</summary>
public readonly record struct Acknowledgement(double SentAt, double AckedAt);

/// <summary>
/// What a steadily writing producer saw of a partition leader being stopped at <c>stoppedAt</c>, all in seconds:
/// <list type="bullet">
/// <item><see cref="LargestGapSeconds"/> — the figure the targets judge: the largest gap between consecutive
/// acknowledgements from the last one at or before the signal (the signal itself when none came before) to the end of
/// what was recorded. It catches the partition's unavailability wherever it falls: at the signal after kill -9, or
/// later after SIGTERM, where the old leader goes on acknowledging until it hands over.</item>
/// <item><see cref="FirstAckSeconds"/> — from the signal to the first acknowledgement of a message sent after it.</item>
/// <item><see cref="WorstWaitSeconds"/> — the longest any message sent after the signal waited for its acknowledgement.</item>
/// <item><see cref="BaselineGapSeconds"/> — the largest gap in the <see cref="BaselineWindow"/> before the signal: what
/// the machine and the client do without any failure (a busy machine shows here).</item>
/// </list>
/// Messages sent before the signal and acknowledged after it (retried to the new leader) count for the gaps, not for
/// the first acknowledgement or the worst wait.
/// </summary>
public sealed record Unavailability(double LargestGapSeconds, double FirstAckSeconds, double WorstWaitSeconds, double BaselineGapSeconds, int AckedBeforeStop, int AckedAfterStop)
{
    public const double BaselineWindow = 0.5;

    /// <summary>
    /// Measures <paramref name="acknowledgements"/> (in any order) around <paramref name="stoppedAt"/>; null when no
    /// message sent at or after it was acknowledged.
    /// </summary>
    public static Unavailability? Measure(IReadOnlyCollection<Acknowledgement> acknowledgements, double stoppedAt)
    {
        var sentAfter = acknowledgements.Where(a => a.SentAt >= stoppedAt).ToList();
        if (sentAfter.Count == 0)
        {
            return null;
        }

        var times = acknowledgements.Select(a => a.AckedAt).Order().ToArray();
        var before = times.Count(t => t <= stoppedAt);
        var from = before > 0 ? times[before - 1] : stoppedAt;
        return new Unavailability(
            LargestGap(times.Where(t => t > from).Prepend(from)),
            sentAfter.Min(a => a.AckedAt) - stoppedAt,
            sentAfter.Max(a => a.AckedAt - a.SentAt),
            LargestGap(times.Where(t => t >= stoppedAt - BaselineWindow && t <= stoppedAt)),
            before,
            times.Length - before);
    }

    /// <summary>The largest difference between consecutive <paramref name="ascending"/> times; 0 for fewer than two.</summary>
    private static double LargestGap(IEnumerable<double> ascending)
    {
        var largest = 0.0;
        double? previous = null;
        foreach (var time in ascending)
        {
            largest = previous is { } p ? Math.Max(largest, time - p) : largest;
            previous = time;
        }

        return largest;
    }
}
