using Xunit.Abstractions;

namespace Wharf.Cluster.Tests.Infrastructure;

/// <summary>
/// How these tests start clusters: 3 brokers, a 3 s session timeout (so fencing after a kill takes seconds, not the
/// default 9) and <c>num.partitions</c> 12. A cluster started for one test writes every process's output to the test's
/// output when it is disposed, so a failure shows what the brokers and etcd said.
/// </summary>
public static class TestClusters
{
    /// <summary>A bound for any wait on the cluster to reach a state: generous for a loaded 2-core CI machine.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(45);

    /// <summary>True when a cluster can be started (or must be, under CI, where a missing etcd then fails).</summary>
    public static bool CanStart => ExternalTools.IsCi || ExternalTools.MissingReason(ExternalTool.Etcd) is null;

    public static WharfClusterOptions Options(IReadOnlyDictionary<string, string>? settings = null) => new()
    {
        Brokers = 3,
        Settings = settings ?? new Dictionary<string, string> { ["num.partitions"] = "12" },
    };

    /// <summary>A cluster of this test's own; dispose it (it then writes the logs to <paramref name="output"/>).</summary>
    public static async Task<OwnCluster> StartAsync(ITestOutputHelper output, WharfClusterOptions? options = null)
    {
        ExternalTools.Require(ExternalTool.Etcd);
        return new OwnCluster(await WharfCluster.StartAsync(options ?? Options()), output);
    }

    /// <summary>A unique, valid topic or group name for one test.</summary>
    public static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}

/// <summary>A cluster owned by one test: on dispose its logs go to the test output, then everything is stopped.</summary>
public sealed class OwnCluster(WharfCluster cluster, ITestOutputHelper output) : IAsyncDisposable
{
    public WharfCluster Cluster { get; } = cluster;

    public async ValueTask DisposeAsync()
    {
        ClusterLogs.Write(output, Cluster, since: null);
        await Cluster.DisposeAsync();
    }
}

/// <summary>Writes what a shared cluster's processes printed during one test to that test's output.</summary>
public sealed class ClusterLogs(ITestOutputHelper output, WharfCluster cluster) : IDisposable
{
    private readonly LogPosition _start = cluster.MarkLogs();

    public static void Write(ITestOutputHelper output, WharfCluster cluster, LogPosition? since)
    {
        try
        {
            output.WriteLine(cluster.DescribeLogs(since, maxLinesPerProcess: 150));
        }
        catch (InvalidOperationException)
        {
            // The test's output is already closed.
        }
    }

    public void Dispose() => Write(output, cluster, _start);
}
