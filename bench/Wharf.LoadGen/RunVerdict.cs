namespace Wharf.LoadGen;

/// <summary>
/// The exit code of a <c>compare</c> run, so that a script or CI cannot mistake a broken run for a measurement:
/// 0 when every target ran, <see cref="DeliveryCheckFailed"/> when any run lost, duplicated or invented a message
/// (see <see cref="Drivers.DeliveryCheck"/>), <see cref="TargetFailed"/> when a target failed otherwise (a server
/// that would not start, a client error). The tables and JSON are written either way.
/// Thread-safety: stateless.
/// </summary>
public static class RunVerdict
{
    public const int Success = 0;
    public const int DeliveryCheckFailed = 3;
    public const int TargetFailed = 4;

    public static int ExitCode(CompareReport report) =>
        report.DeliveryFailures.Count > 0 ? DeliveryCheckFailed : report.Notes.Count > 0 ? TargetFailed : Success;

    /// <summary>The closing line for a failed run.</summary>
    public static string Describe(CompareReport report) => ExitCode(report) switch
    {
        DeliveryCheckFailed => $"FAILED (exit {DeliveryCheckFailed}): messages lost or duplicated — {string.Join(" | ", report.DeliveryFailures)}",
        TargetFailed => $"FAILED (exit {TargetFailed}): {report.Notes.Count} target(s) did not complete — {string.Join(" | ", report.Notes)}",
        _ => "all targets completed",
    };
}
