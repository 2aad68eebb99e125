namespace Wharf.LoadGen.Queue;

/// <summary>One system's produce or consume phase over the measured runs: median and range of each figure, and every
/// run's sample. Broker CPU is the whole process tree's (<see cref="ProcessStats.TreeCpuSeconds"/>).</summary>
public sealed record QueueRow(
    string System, string Durability, string Phase, int Consumers,
    Summary MessagesPerSecond, Summary MegabytesPerSecond, Summary ServerCpuMicrosPerMessage, Summary GeneratorCpuMicrosPerMessage,
    IReadOnlyList<PhaseSample> Samples)
{
    public const string Produce = "produce";
    public const string Consume = "consume";

    public static QueueRow From(string system, string durability, string phase, int consumers, IReadOnlyList<PhaseSample> samples) =>
        new(system, durability, phase, consumers,
            Summary.Of(samples.Select(s => s.MessagesPerSecond)),
            Summary.Of(samples.Select(s => s.MegabytesPerSecond)),
            Summary.Of(samples.Select(s => s.ServerCpuMicrosPerMessage)),
            Summary.Of(samples.Select(s => s.GeneratorCpuMicrosPerMessage)),
            samples);
}

/// <summary>The exactly-once check of one measured consume phase.</summary>
public sealed record QueueDelivery(string System, int Run, QueueDeliveryResult Result);

/// <summary>A queue target: the figure measured, and whether it was met (null: n/a, an input was not measured).</summary>
public sealed record QueueTargetRow(string Name, string Wanted, string Measured, bool? Met);

/// <summary>Everything one <c>queue</c> run measured, as written to the JSON file.</summary>
public sealed record QueueReport
{
    public DateTimeOffset StartedUtc { get; init; }

    public DateTimeOffset FinishedUtc { get; set; }

    public required string Machine { get; init; }

    public required SourceRevision Revision { get; init; }

    public required string LoadAverageAtStart { get; init; }

    public string LoadAverageAtEnd { get; set; } = "";

    public required QueueOptions Options { get; init; }

    /// <summary>Per system, the server measured ("RabbitMQ 3.10.8 on Erlang 25.2.3", …).</summary>
    public Dictionary<string, string> ServerVersions { get; } = [];

    public List<QueueRow> Rows { get; } = [];

    public List<QueueDelivery> Deliveries { get; } = [];

    public List<QueueTargetRow> Targets { get; } = [];

    /// <summary>Targets that failed, with the reason; any makes the exit code non-zero.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The failures in <see cref="Notes"/> that were lost, duplicated, foreign or left-over messages.</summary>
    public List<string> DeliveryFailures { get; } = [];

    /// <summary>Phases not measured because a driver does not support them yet (not failures).</summary>
    public List<string> Skipped { get; } = [];

    /// <summary>0 when every target completed, 3 when a consume phase failed the exactly-once check, 4 when a target
    /// failed otherwise (as <see cref="RunVerdict"/> for <c>compare</c>).</summary>
    public int ExitCode => DeliveryFailures.Count > 0 ? RunVerdict.DeliveryCheckFailed : Notes.Count > 0 ? RunVerdict.TargetFailed : RunVerdict.Success;
}
