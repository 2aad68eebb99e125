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

    [Fact]
    public void Evaluate_KillOfLeaderWithSlowP99_IsNotMetThoughTheMedianIs()
    {
        var report = Report();
        report.LeaderFailovers.AddRange([.. new[] { 1.0, 1.2, 1.1, 1.3, 5.5 }.Select(s => Leader(LeaderFailover.Kill, s))]);

        var row = Assert.Single(ClusterTargets.Evaluate(report));

        Assert.False(row.Met);
        Assert.StartsWith("median 1.200 s, p99 5.500 s", row.Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_LeaderStops_GiveOneRowPerSignalAndKindOfLeader()
    {
        var report = Report();
        report.LeaderFailovers.AddRange([Leader(LeaderFailover.Kill, 1.5), Leader(LeaderFailover.Kill, 4.2, controller: true), Leader(LeaderFailover.Sigterm, 0.25), Leader(LeaderFailover.Sigterm, 0.35)]);

        var rows = ClusterTargets.Evaluate(report).ToList();

        Assert.Equal([true, false, true], rows.Select(r => r.Met));
        Assert.Contains("also the controller", rows[1].Name, StringComparison.Ordinal);
        Assert.StartsWith("median 0.300 s", rows[2].Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_LeaderStopWithoutAnyAckAfterIt_CountsAsInfinitelyLong()
    {
        var report = Report();
        report.LeaderFailovers.AddRange([Leader(LeaderFailover.Sigterm, 0.1), Leader(LeaderFailover.Sigterm, double.NaN)]);

        var row = Assert.Single(ClusterTargets.Evaluate(report));

        Assert.False(row.Met);
        Assert.Contains("p99 ∞", row.Measured, StringComparison.Ordinal);
        Assert.Contains("1 run(s) without an ack", row.Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ReplicatedProduceAtHalfTheSingleNode_IsMetWhileConsumeAtEightyPercentIsNot()
    {
        var report = Report();
        report.ReplicatedProduce.AddRange([Throughput("single node", 100_000), Throughput("3-broker cluster, RF 3", 50_000)]);
        report.ReplicatedConsume.AddRange([Throughput("single node", 100_000), Throughput("3-broker cluster, RF 3", 80_000)]);

        var rows = ClusterTargets.Evaluate(report).ToList();

        Assert.Equal([true, false], rows.Select(r => r.Met));
        Assert.StartsWith("0.50×", rows[0].Measured, StringComparison.Ordinal);
        Assert.Equal("≥ 0.9×", rows[1].Wanted);
    }

    [Fact]
    public void Choose_ControllerNotWanted_TakesAPartitionLedByAnotherBroker()
    {
        var topic = new TopicView("t", 0, [Partition(0, leader: 1), Partition(1, leader: 2), Partition(2, leader: 3)]);

        Assert.Equal(1, LeaderFailover.Choose(topic, controller: 1, controllerWanted: false).Index);
        Assert.Equal(0, LeaderFailover.Choose(topic, controller: 1, controllerWanted: true).Index);
    }

    [Fact]
    public void Choose_ControllerWantedButLeadingNothing_FallsBackToTheFirstPartition()
    {
        var topic = new TopicView("t", 0, [Partition(0, leader: 2), Partition(1, leader: 3)]);

        Assert.Equal(0, LeaderFailover.Choose(topic, controller: 1, controllerWanted: true).Index);
    }

    private static FailoverSample Failover(double seconds) => new(1, 1, 2, seconds, seconds, 9);

    private static LeaderFailoverSample Leader(string signal, double largestGap, bool controller = false) =>
        new(1, signal, "t", 0, 2, controller, 3, largestGap, largestGap, largestGap, 0.002, 0.05, 0.01, 500, 500, 0, null, 0, 6, double.NaN);

    private static PartitionView Partition(int index, int leader) => new(index, 0, leader, [1, 2, 3], [1, 2, 3]);

    private static ThroughputRow Throughput(string system, double messagesPerSecond) =>
        ThroughputRow.From(system, "interval", 1024, "produce", 12, 1, [new PhaseSample(1, (long)messagesPerSecond, (long)messagesPerSecond * 1024, 1, 1, "0 0 0")]);

    private static ClusterReport Report() => new()
    {
        Machine = "test",
        Revision = new SourceRevision("0000000", false, []),
        EtcdVersion = "etcd test",
        LoadAverageAtStart = "0 0 0",
        Options = new ClusterOptions(),
    };
}
