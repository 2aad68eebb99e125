using Wharf.Testing.Faults;
using Wharf.Testing.Faults.Nemesis;
using Xunit.Abstractions;

namespace Wharf.Fault.Tests;

/// <summary>
/// One bounded fault run per nemesis at a fixed seed on a 3-broker cluster behind fault proxies: a topic with
/// replication factor 3 and <c>min.insync.replicas=2</c>, idempotent acks=all writers, an assign-everything reader, a
/// committing group and a transactional copier, then heal, drain and check. Every anomaly count must be 0; the
/// unavailability per partition is reported. About 50 s each.
/// </summary>
public sealed class NemesisRunTests(ITestOutputHelper output)
{
    private const int Seed = 20261207;

    [RequiresToolFact(ExternalTool.Etcd)]
    public Task KillNineOfTheLeader_LosesNothingAcknowledged() => RunAsync(NemesisKind.KillLeader);

    [RequiresToolFact(ExternalTool.Etcd)]
    public Task APausedLeaderThatWakesLater_LosesNothingAcknowledged() => RunAsync(NemesisKind.PauseLeader);

    [RequiresToolFact(ExternalTool.Etcd)]
    public Task TheLeaderCutOffFromItsFollowers_LosesNothingAcknowledged() => RunAsync(NemesisKind.IsolateLeaderFromFollowers);

    [RequiresToolFact(ExternalTool.Etcd)]
    public Task TheLeaderCutOffFromEtcd_LosesNothingAcknowledged() => RunAsync(NemesisKind.IsolateLeaderFromEtcd);

    [RequiresToolFact(ExternalTool.Etcd)]
    public Task KillNineOfAnEtcdMember_LosesNothingAcknowledged() => RunAsync(NemesisKind.KillEtcdMember);

    private async Task RunAsync(NemesisKind nemesis)
    {
        ExternalTools.Require(ExternalTool.Etcd);
        var options = new FaultRunOptions { Seed = Seed, Nemeses = [nemesis], Log = new OutputWriter(output) };
        await using var cluster = await FaultRun.StartClusterAsync(options);
        FaultRunResult? result = null;
        try
        {
            result = await FaultRun.RunAsync(cluster, options);
            output.WriteLine(result.Describe());
            Assert.True(result.Events.Count >= 2, "no fault was injected");
            Assert.Empty(result.UndrainedPartitions);
            Assert.True(result.Check.Valid, result.Check.Describe());
            Assert.True(result.Check.AckedSends > 100, $"only {result.Check.AckedSends} sends were acknowledged");
            File.Delete(result.HistoryPath);
        }
        catch
        {
            output.WriteLine(cluster.DescribeLogs(maxLinesPerProcess: 80));
            throw;
        }
    }

    /// <summary>Progress lines of the run into the test's output.</summary>
    private sealed class OutputWriter(ITestOutputHelper output) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            try
            {
                output.WriteLine(value ?? string.Empty);
            }
            catch (InvalidOperationException)
            {
                // The test is over.
            }
        }
    }
}
