namespace Wharf.LoadGen;

/// <summary>Median and range of one figure over the measured runs.</summary>
public sealed record Summary(double Median, double Min, double Max)
{
    public static Summary Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Summary(double.NaN, double.NaN, double.NaN);
        }

        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Summary(median, sorted[0], sorted[^1]);
    }

    /// <summary>Median of a over median of b; the range is the widest the runs allow (min/max and max/min).</summary>
    public static Summary Ratio(Summary a, Summary b) => new(a.Median / b.Median, a.Min / b.Max, a.Max / b.Min);
}

/// <summary>One run of one phase: wall time, volume, and CPU seconds of the server and of this generator.</summary>
public sealed record PhaseSample(double Seconds, long Messages, long Bytes, double ServerCpuSeconds, double GeneratorCpuSeconds, string LoadAverage)
{
    /// <summary>The kernel (stime) part of <see cref="ServerCpuSeconds"/>: syscalls, socket and page-cache copies.</summary>
    public double ServerKernelCpuSeconds { get; init; }

    /// <summary>See <see cref="Drivers.IBenchDriver.LastDrivingThreadBusy"/>; NaN when the client has no such thread.</summary>
    public double DrivingThreadBusy { get; init; } = double.NaN;

    public double MessagesPerSecond => Messages / Seconds;

    public double MegabytesPerSecond => Bytes / Seconds / 1e6;

    public double ServerCpuMicrosPerMessage => ServerCpuSeconds * 1e6 / Messages;

    public double GeneratorCpuMicrosPerMessage => GeneratorCpuSeconds * 1e6 / Messages;
}

/// <summary>Throughput of one system/durability/size/phase (and partitions × producers for scaling).</summary>
public sealed record ThroughputRow(
    string System, string Durability, int Size, string Phase, int Partitions, int Producers,
    Summary MessagesPerSecond, Summary MegabytesPerSecond, Summary ServerCpuMicrosPerMessage, Summary GeneratorCpuMicrosPerMessage,
    IReadOnlyList<PhaseSample> Samples)
{
    /// <summary>Median and range of <see cref="PhaseSample.DrivingThreadBusy"/>.</summary>
    public Summary DrivingThreadBusy => Summary.Of(Samples.Select(s => s.DrivingThreadBusy).Where(b => !double.IsNaN(b)));

    public static ThroughputRow From(string system, string durability, int size, string phase, int partitions, int producers, IReadOnlyList<PhaseSample> samples) =>
        new(system, durability, size, phase, partitions, producers,
            Summary.Of(samples.Select(s => s.MessagesPerSecond)),
            Summary.Of(samples.Select(s => s.MegabytesPerSecond)),
            Summary.Of(samples.Select(s => s.ServerCpuMicrosPerMessage)),
            Summary.Of(samples.Select(s => s.GeneratorCpuMicrosPerMessage)),
            samples);
}

/// <summary>
/// Wharf's produce rate next to the disk's for the same bytes (<see cref="DiskCeiling"/>, run right after each Wharf
/// run): <see cref="WharfShare"/> is the median of the per-run ratios Wharf MB/s ÷ fio MB/s.
/// </summary>
public sealed record DiskRow(
    string Durability, int Size, long BytesPerRun, int BlockBytes, string Mode,
    Summary DiskMegabytesPerSecond, Summary WharfMegabytesPerSecond, Summary WharfShare, IReadOnlyList<DiskSample> Samples);

/// <summary>End-to-end latency percentiles at a fixed rate, median and range over runs, in milliseconds.</summary>
public sealed record LatencyRow(string System, string Durability, int Size, int Rate, Summary P50Ms, Summary P99Ms, Summary P999Ms, Summary MaxMs, Summary ServerCpuMicrosPerMessage, IReadOnlyList<string> LoadAverages);

/// <summary>Memory of a server: resident after start (idle) and its peak (VmHWM) after the workloads.</summary>
public sealed record MemoryRow(string System, string Durability, double IdleRssMiB, double PeakRssMiB, double PeakRssAfterThroughputMiB);

/// <summary>A target from issue 6 with the measured ratio or value.</summary>
public sealed record TargetRow(string Name, string Target, Summary Value, bool Met, string Note);

/// <summary>Everything one <c>compare</c> run measured, as written to the JSON file.</summary>
public sealed record CompareReport
{
    public DateTimeOffset StartedUtc { get; init; }

    public DateTimeOffset FinishedUtc { get; set; }

    public required string Machine { get; init; }

    /// <summary>The commit measured, and whether the tree had uncommitted changes.</summary>
    public required SourceRevision Revision { get; init; }

    public required string LoadAverageAtStart { get; init; }

    public string LoadAverageAtEnd { get; set; } = "";

    public required CompareOptions Options { get; init; }

    public List<ThroughputRow> Throughput { get; } = [];

    public List<LatencyRow> Latency { get; } = [];

    public List<ThroughputRow> Scaling { get; } = [];

    public List<DiskRow> Disk { get; } = [];

    public List<ThroughputRow> Backlog { get; } = [];

    public List<MemoryRow> Memory { get; } = [];

    public List<TargetRow> Targets { get; } = [];

    /// <summary>Every target that failed, with the reason; each also makes the run's exit code non-zero.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The failures in <see cref="Notes"/> that were lost, duplicated or foreign messages.</summary>
    public List<string> DeliveryFailures { get; } = [];
}
