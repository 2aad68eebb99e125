using Wharf.LoadGen.Cluster;

namespace Wharf.Benchmarks.Tests;

/// <summary>The <c>cluster</c> command line: the issue's sizes by default, a small smoke run with --quick.</summary>
public sealed class ClusterOptionsTests
{
    [Fact]
    public void Parse_NoArguments_UsesTheIssueSizes()
    {
        var options = ClusterOptions.Parse([]);

        Assert.Equal(10, options.Runs);
        Assert.Equal(100, options.Topics);
        Assert.Equal(10_000, options.Partitions);
        Assert.Equal(100, options.ScaleTopics);
        Assert.Equal(10, options.DurationSeconds);
        Assert.Equal(ClusterOptions.AllScenarios, options.Only);
    }

    [Fact]
    public void Parse_QuickWithAnExplicitSize_KeepsTheExplicitSize()
    {
        var options = ClusterOptions.Parse(["--runs", "5", "--quick"]);

        Assert.True(options.Quick);
        Assert.Equal(5, options.Runs);
        Assert.Equal(1_000, options.Partitions);
    }

    [Fact]
    public void Parse_FewerPartitionsThanOneTopic_Throws()
    {
        Assert.Throws<ArgumentException>(() => ClusterOptions.Parse(["--partitions", "50", "--partitions-per-topic", "100"]));
    }

    [Fact]
    public void Parse_ReplicationMeasurements_AreSelectableAndRunBeforeScale()
    {
        var options = ClusterOptions.Parse(["--only", "leader-sigterm,leader-kill,replicated-produce", "--isr-wait", "5"]);

        Assert.Equal(5, options.IsrWaitSeconds);
        Assert.Equal(["replicated-produce", "leader-kill", "leader-sigterm"], ClusterOptions.AllScenarios.Where(options.Only.Contains));
        Assert.Equal("scale", ClusterOptions.AllScenarios[^1]);
    }

    [Fact]
    public void Parse_UnknownMeasurement_Throws()
    {
        Assert.Throws<ArgumentException>(() => ClusterOptions.Parse(["--only", "failover,latency"]));
    }
}
