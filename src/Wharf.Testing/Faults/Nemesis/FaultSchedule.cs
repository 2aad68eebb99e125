using System.Globalization;

namespace Wharf.Testing.Faults.Nemesis;

/// <summary>
/// One planned fault: <paramref name="Kind"/> starts <paramref name="Start"/> after the run began and is healed
/// <paramref name="Duration"/> later; <paramref name="Choice"/> picks its target (a partition whose leader it hits, a
/// broker, an etcd member) by remainder. Immutable.
/// </summary>
public sealed record ScheduledFault(TimeSpan Start, TimeSpan Duration, NemesisKind Kind, int Choice)
{
    public TimeSpan End => Start + Duration;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Start.TotalSeconds:0.0}s +{Duration.TotalSeconds:0.0}s {Kind} #{Choice}");
}

/// <summary>
/// A seeded fault schedule: faults one at a time, each followed by a quiet gap, cycling through the given kinds in a
/// seed-shuffled order, with seeded durations and targets. The same seed and options give the same schedule.
/// Thread-safety: immutable.
/// </summary>
public sealed class FaultSchedule
{
    private FaultSchedule(int seed, IReadOnlyList<ScheduledFault> faults)
    {
        Seed = seed;
        Faults = faults;
    }

    public int Seed { get; }

    public IReadOnlyList<ScheduledFault> Faults { get; }

    /// <summary>
    /// Plans faults of <paramref name="kinds"/> over <paramref name="length"/>: a first quiet gap, then fault, gap,
    /// fault… while a fault still ends before <paramref name="length"/>. Durations and gaps are uniform in their ranges.
    /// </summary>
    public static FaultSchedule Generate(int seed, IReadOnlyList<NemesisKind> kinds, TimeSpan length, (TimeSpan Min, TimeSpan Max) faultDuration, (TimeSpan Min, TimeSpan Max) quiet)
    {
        ArgumentOutOfRangeException.ThrowIfZero(kinds.Count);
        var random = new Random(seed);
        var faults = new List<ScheduledFault>();
        var order = kinds.ToArray();
        var at = Uniform(random, quiet);
        for (var i = 0; ; i++)
        {
            if (i % order.Length == 0)
            {
                random.Shuffle(order);
            }

            var duration = Uniform(random, faultDuration);
            if (at + duration > length)
            {
                break;
            }

            faults.Add(new ScheduledFault(at, duration, order[i % order.Length], random.Next(1_000_000)));
            at += duration + Uniform(random, quiet);
        }

        return new FaultSchedule(seed, faults);
    }

    public override string ToString() => $"seed {Seed}: " + string.Join(", ", Faults);

    private static TimeSpan Uniform(Random random, (TimeSpan Min, TimeSpan Max) range) =>
        range.Min + (range.Max - range.Min) * random.NextDouble();
}
