using Wharf.Testing.Faults.Nemesis;

namespace Wharf.Testing.Faults;

/// <summary>How <see cref="FaultRun"/> runs: the seed, the faults, their timing and the workload's size. Every member has a default fit for a bounded CI run.</summary>
public sealed record FaultRunOptions
{
    /// <summary>Fixes the fault schedule, its targets and the transaction aborts.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The faults to cycle through (one at a time).</summary>
    public IReadOnlyList<NemesisKind> Nemeses { get; init; } = [NemesisKind.KillLeader];

    /// <summary>How long the workload runs under faults (the schedule fits inside it).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public (TimeSpan Min, TimeSpan Max) FaultDuration { get; init; } = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7));

    public (TimeSpan Min, TimeSpan Max) Quiet { get; init; } = (TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(3.5));

    /// <summary>Partitions of the topic (and of its copy topic).</summary>
    public int Partitions { get; init; } = 3;

    /// <summary>Idempotent writers, each sending one record every <see cref="SendInterval"/>.</summary>
    public int Writers { get; init; } = 2;

    public TimeSpan SendInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Run a consumer group that commits offsets.</summary>
    public bool GroupConsumer { get; init; } = true;

    /// <summary>Run the transactional consume-transform-produce copier (with this share of its transactions aborted).</summary>
    public bool Transactions { get; init; } = true;

    public double AbortShare { get; init; } = 0.2;

    /// <summary>How long the final drain may take to read every partition to its end.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the JSONL history goes (null: a temporary file, kept and named in the result).</summary>
    public string? HistoryPath { get; init; }

    /// <summary>Progress lines (faults, phases); null for none.</summary>
    public TextWriter? Log { get; init; }
}
