using Wharf.LoadGen;
using Wharf.LoadGen.Cluster;

namespace Wharf.Benchmarks.Tests;

/// <summary>How the cluster figures are judged against their targets.</summary>
public sealed class ClusterTargetsTests
{
    [Fact]
    public void Percentiles_OfHundredValues_P99IsTheNinetyNinthSmallest()
    {
        var percentiles = Percentiles.Of(Enumerable.Range(1, 100).Select(i => (double)i).Reverse());

        Assert.Equal(50, percentiles.P50);
        Assert.Equal(99, percentiles.P99);
        Assert.Equal(100, percentiles.Max);
    }

    [Fact]
    public void Evaluate_FailoverMedianOverTwoSeconds_IsNotMet()
    {
        var report = Report();
        report.Failovers.AddRange([Failover(1.9), Failover(2.1), Failover(2.2)]);

        var row = Assert.Single(ClusterTargets.Evaluate(report));

        Assert.False(row.Met);
        Assert.StartsWith("2.10 s", row.Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_KillRestartSlowerThanFiveSeconds_IsNotMetWhileSigtermIs()
    {
        var report = Report();
        report.Scale = new ScaleResult
        {
            SigtermRestart = new RestartSample(2, "SIGTERM", 3_333, 0.4, 1.5, 1.7),
            KillRestart = new RestartSample(2, "kill -9", 3_333, 0.01, 9.2, 9.4),
        };

        var rows = ClusterTargets.Evaluate(report).ToList();

        Assert.Equal([true, false], rows.Select(r => r.Met));
    }

    [Fact]
    public void Evaluate_MeasurementNotRun_IsLeftOut()
    {
        Assert.Empty(ClusterTargets.Evaluate(Report()));
    }

    private static FailoverSample Failover(double seconds) => new(1, 1, 2, seconds, seconds, 9);

    private static ClusterReport Report() => new()
    {
        Machine = "test",
        Revision = new SourceRevision("0000000", false, []),
        EtcdVersion = "etcd test",
        LoadAverageAtStart = "0 0 0",
        Options = new ClusterOptions(),
    };
}
