using Wharf.LoadGen;

namespace Wharf.Benchmarks.Tests;

/// <summary>A <c>compare</c> run with a lost or duplicated message, or a failed target, exits non-zero.</summary>
public sealed class RunVerdictTests
{
    [Fact]
    public void ExitCode_NoFailures_IsSuccess()
    {
        Assert.Equal(RunVerdict.Success, RunVerdict.ExitCode(Report()));
    }

    [Fact]
    public void ExitCode_DeliveryFailure_IsDeliveryCheckFailed()
    {
        var report = Report();
        report.Notes.Add("wharf (lazy) failed: DeliveryCheckException: …");
        report.DeliveryFailures.Add("wharf (lazy) failed: DeliveryCheckException: …");

        Assert.Equal(RunVerdict.DeliveryCheckFailed, RunVerdict.ExitCode(report));
        Assert.Contains("lost or duplicated", RunVerdict.Describe(report), StringComparison.Ordinal);
    }

    [Fact]
    public void ExitCode_OtherFailure_IsTargetFailed()
    {
        var report = Report();
        report.Notes.Add("nats (lazy) failed: InvalidOperationException: nats exited with 1");

        Assert.Equal(RunVerdict.TargetFailed, RunVerdict.ExitCode(report));
    }

    private static CompareReport Report() => new()
    {
        Machine = "test",
        Revision = new SourceRevision("0000000", false, []),
        LoadAverageAtStart = "0 0 0",
        Options = new CompareOptions(),
    };
}
