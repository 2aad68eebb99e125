using System.Diagnostics;
using Xunit.Abstractions;

namespace Wharf.Simulation.Tests;

/// <summary>
/// Many seeded fault schedules of the 3-node cluster simulation per run (see <see cref="ClusterSimulation"/>), and
/// proof that its checker has teeth: deliberately broken variants must be caught. A failure prints the seed and the
/// trace; <see cref="ClusterSimulation"/> replays a seed exactly.
/// </summary>
public sealed class ClusterSimulationTests(ITestOutputHelper output)
{
    private const int FirstSeed = 1;
    private const int Schedules = 300;
    private const int StepsPerSchedule = 250;

    [Fact]
    public void ManySeededFaultSchedules_KeepEveryInvariant()
    {
        var clock = Stopwatch.StartNew();
        var results = new List<SimulationResult>();
        for (var seed = FirstSeed; seed < FirstSeed + Schedules; seed++)
        {
            using var simulation = new ClusterSimulation(new SimulationOptions(seed, StepsPerSchedule));
            var result = simulation.Run();
            results.Add(result);
            if (result.Violation is not null)
            {
                var path = Path.Combine(Path.GetTempPath(), $"wharf-simulation-seed-{seed}.trace");
                File.WriteAllLines(path, result.Trace);
                output.WriteLine($"full trace: {path}");
                output.WriteLine(result.Report());
                Assert.Fail($"seed {seed} violated an invariant: {result.Violation}");
            }
        }

        output.WriteLine($"seeds {FirstSeed}..{FirstSeed + Schedules - 1}: {Schedules} schedules x {StepsPerSchedule} steps, "
            + $"{results.Sum(r => r.FaultEvents)} fault events, {results.Sum(r => r.Acknowledged)} acknowledged and {results.Sum(r => r.Consumed)} consumed records checked, "
            + $"0 violations in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void ASeed_ReplaysTheSameSchedule()
    {
        using var first = new ClusterSimulation(new SimulationOptions(7, 200));
        using var second = new ClusterSimulation(new SimulationOptions(7, 200));
        var a = first.Run();
        var b = second.Run();
        Assert.Null(a.Violation);
        Assert.Equal(a.Trace, b.Trace);
    }

    [Theory]
    [InlineData(SimulationBreak.AckAtLeaderLogEnd)]
    [InlineData(SimulationBreak.FollowerReportsBeforeDurable)]
    public void ABrokenVariant_IsCaughtBySomeSeed(SimulationBreak broken)
    {
        for (var seed = 1; seed <= 300; seed++)
        {
            using var simulation = new ClusterSimulation(new SimulationOptions(seed, StepsPerSchedule, Break: broken));
            var result = simulation.Run();
            if (result.Violation is not null)
            {
                output.WriteLine(result.Report(60));
                return;
            }
        }

        Assert.Fail($"No seed in 1..300 caught the broken variant {broken}.");
    }
}
