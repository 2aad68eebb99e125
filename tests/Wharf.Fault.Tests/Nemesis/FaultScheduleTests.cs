using Wharf.Testing.Faults.Nemesis;

namespace Wharf.Fault.Tests.Nemesis;

/// <summary>The seeded fault schedule: reproducible from its seed, one fault at a time, inside the run.</summary>
public sealed class FaultScheduleTests
{
    private static readonly NemesisKind[] Every = Enum.GetValues<NemesisKind>();

    [Fact]
    public void TheSameSeed_GivesTheSameSchedule_AndAnotherSeedAnother()
    {
        var first = Generate(7);
        var again = Generate(7);
        var other = Generate(8);

        Assert.Equal(first.Faults, again.Faults);
        Assert.NotEqual(first.Faults, other.Faults);
    }

    [Fact]
    public void Faults_DoNotOverlap_FitTheRun_AndHaveTheirDurationsAndGaps()
    {
        var schedule = Generate(42);

        Assert.NotEmpty(schedule.Faults);
        Assert.All(schedule.Faults, f => Assert.InRange(f.Duration, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)));
        Assert.True(schedule.Faults[^1].End <= TimeSpan.FromMinutes(10));
        Assert.All(schedule.Faults.Zip(schedule.Faults.Skip(1)), pair => Assert.InRange(pair.Second.Start - pair.First.End, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public void EveryKind_ComesUpOncePerRound()
    {
        var schedule = Generate(3);

        foreach (var round in schedule.Faults.Chunk(Every.Length).Where(r => r.Length == Every.Length))
        {
            Assert.Equal(Every.Order(), round.Select(f => f.Kind).Order());
        }
    }

    private static FaultSchedule Generate(int seed) =>
        FaultSchedule.Generate(seed, Every, TimeSpan.FromMinutes(10), (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)), (TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)));
}
