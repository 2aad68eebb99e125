namespace Wharf.LoadGen.Cluster;

/// <summary>One kill -9 of the controller: when the first and the last survivor named another controller, and how long
/// the killed broker then took to start and be registered again (it first waits out its old registration).</summary>
public sealed record FailoverSample(int Run, int KilledController, int NewController, double FirstSurvivorSeconds, double AllSurvivorsSeconds, double RejoinSeconds);

/// <summary>One topic of the visibility measurement: the CreateTopics call, then per broker the time from its return
/// until that broker listed the topic with a leader for every partition.</summary>
public sealed record VisibilitySample(string Topic, double CreateTopicsSeconds, IReadOnlyList<double> PerBrokerSeconds)
{
    public double SlowestSeconds => PerBrokerSeconds.Max();
}

/// <summary>Percentiles (nearest rank) of one figure over many samples.</summary>
public sealed record Percentiles(int Count, double P50, double P90, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double quantile) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, At(0.50), At(0.90), At(0.99), At(1.0));
    }
}

/// <summary>A broker restart in the scale test: how it was stopped, and the time from the signal until it had exited,
/// was registered again (<c>ready in</c>) and was reported by every broker as leading all its partitions.</summary>
public sealed record RestartSample(int Node, string Signal, int PartitionsLed, double StoppedSeconds, double RegisteredSeconds, double LeadingSeconds);

/// <summary>
/// One stop of a partition leader under a producer (<see cref="LeaderFailover"/>); the four client figures are
/// <see cref="Unavailability"/>'s (NaN: nothing sent after the signal was acknowledged within 60 s). Then when a
/// survivor named another leader (<see cref="LeaderMovedSeconds"/>), when the process was gone, and the restart:
/// registered again, and back in the partition's ISR (NaN: not within <see cref="ClusterOptions.IsrWaitSeconds"/>).
/// </summary>
public sealed record LeaderFailoverSample(
    int Run, string Signal, string Topic, int Partition, int StoppedLeader, bool WasController, int NewLeader,
    double LargestGapSeconds, double FirstAckSeconds, double WorstWaitSeconds, double BaselineGapSeconds,
    double LeaderMovedSeconds, double ExitedSeconds,
    int AckedBeforeStop, int AckedAfterStop, int FailedDeliveries, string? FirstDeliveryError, int ClientWarnings,
    double RegisteredSeconds, double BackInIsrSeconds);

/// <summary>The 10,000-partition measurement.</summary>
public sealed record ScaleResult
{
    public int Topics { get; init; }

    public int Partitions { get; init; }

    /// <summary>From sending the CreateTopics requests until every one had returned.</summary>
    public double CreateRequestsSeconds { get; set; } = double.NaN;

    /// <summary>Per broker, from sending the requests until it listed every partition with a leader.</summary>
    public IReadOnlyList<double> CreatedPerBrokerSeconds { get; set; } = [];

    public double CreatedSeconds => CreatedPerBrokerSeconds.Count == 0 ? double.NaN : CreatedPerBrokerSeconds.Max();

    public FailoverSample? Failover { get; set; }

    /// <summary>The killed controller's restart after the failover (kill -9), until it led its partitions again.</summary>
    public RestartSample? FormerControllerRestart { get; set; }

    public RestartSample? SigtermRestart { get; set; }

    public RestartSample? KillRestart { get; set; }
}

/// <summary>A target with the figure measured and whether it was met.</summary>
public sealed record ClusterTargetRow(string Name, string Wanted, string Measured, bool Met);

/// <summary>Notable output of one process (<see cref="ServerOutputLog"/>) and the file with all of it.</summary>
public sealed record ProcessLogSummary(string Process, string OutputFile, int NotableLines, IReadOnlyList<string> FirstLines);

/// <summary>Everything one <c>cluster</c> run measured, as written to the JSON file.</summary>
public sealed record ClusterReport
{
    public DateTimeOffset StartedUtc { get; init; }

    public DateTimeOffset FinishedUtc { get; set; }

    public required string Machine { get; init; }

    public required SourceRevision Revision { get; init; }

    public required string EtcdVersion { get; init; }

    public required string LoadAverageAtStart { get; init; }

    public string LoadAverageAtEnd { get; set; } = "";

    public required ClusterOptions Options { get; init; }

    public List<FailoverSample> Failovers { get; } = [];

    public List<VisibilitySample> Visibility { get; } = [];

    public ScaleResult? Scale { get; set; }

    /// <summary>Single node and cluster, 1 KiB, one producer, <see cref="ClusterOptions.ProducePartitions"/> partitions.</summary>
    public List<ThroughputRow> Produce { get; } = [];

    /// <summary>The same with replication factor 3 and <c>min.insync.replicas=2</c> on the cluster (RF 1 on the single node).</summary>
    public List<ThroughputRow> ReplicatedProduce { get; } = [];

    /// <summary>Reading back what <see cref="ReplicatedProduce"/> wrote, from the beginning, per run.</summary>
    public List<ThroughputRow> ReplicatedConsume { get; } = [];

    /// <summary>Partition leaders stopped (kill -9 and SIGTERM) under an idempotent acks=all producer.</summary>
    public List<LeaderFailoverSample> LeaderFailovers { get; } = [];

    public List<ClusterTargetRow> Targets { get; } = [];

    public List<ProcessLogSummary> ProcessLogs { get; } = [];

    /// <summary>Measurements that did not complete, with the reason; any makes the exit code non-zero.</summary>
    public List<string> Notes { get; } = [];
}
