using System.Globalization;

namespace Wharf.LoadGen.Cluster;

/// <summary>Settings of one <c>cluster</c> run, from the command line.</summary>
public sealed record ClusterOptions
{
    /// <summary>The measurements, in the order they run: the 10,000 partitions come last so that they weigh on nothing else.</summary>
    public static readonly string[] AllScenarios = ["failover", "visibility", "produce", "replicated-produce", "leader-kill", "leader-sigterm", "scale"];

    public string[] Only { get; init; } = AllScenarios;

    public int Brokers { get; init; } = 3;

    /// <summary>Runs of each failover measurement: controller failovers (kill -9 of the controller, then its restart),
    /// and partition leaders stopped under a producer with kill -9 and with SIGTERM (then restarted).</summary>
    public int Runs { get; init; } = 10;

    /// <summary>Seconds a restarted leader is waited on to be back in its partition's ISR before the next run.</summary>
    public double IsrWaitSeconds { get; init; } = 60;

    /// <summary>Topics created one after another for the visibility measurement.</summary>
    public int Topics { get; init; } = 100;

    public int PartitionsPerVisibilityTopic { get; init; } = 3;

    /// <summary>Partitions created for the scale measurement, as topics of <see cref="PartitionsPerTopic"/>.</summary>
    public int Partitions { get; init; } = 10_000;

    public int PartitionsPerTopic { get; init; } = 100;

    /// <summary>Topics per CreateTopics request in the scale measurement; the requests go out together.</summary>
    public int TopicsPerRequest { get; init; } = 10;

    /// <summary>Seconds of produce per measured run (the message count comes from the single node's warm-up rate).</summary>
    public double DurationSeconds { get; init; } = 10;

    public int ProduceRuns { get; init; } = 3;

    public long WarmUpMessages { get; init; } = 300_000;

    public int ProducePartitions { get; init; } = 12;

    /// <summary><c>log.flush.mode</c> of every broker and of the single node: interval (lazy) or ack (strict).</summary>
    public string FlushMode { get; init; } = "interval";

    /// <summary>Results go to <c>results/cluster-NAME.json</c> and <c>.log</c>; default the UTC start time.</summary>
    public string? Name { get; init; }

    public string Scratch { get; init; } = Path.Combine(Path.GetTempPath(), "wharf-loadgen");

    public bool Quick { get; init; }

    public const string Usage = """
        usage: Wharf.LoadGen cluster [options]
          --quick                   smoke check: 3 runs of each failover (ISR waited on 20 s), 20 topics, 1,000
                                    partitions, 1 produce run of 3 s per throughput measurement
          --only failover,visibility,produce,replicated-produce,leader-kill,leader-sigterm,scale
          --runs N                  runs of each failover measurement: the controller killed, a partition leader
                                    killed (kill -9) and stopped (SIGTERM) under a producer, then restarted (default 10)
          --isr-wait S              seconds a restarted leader may take to be back in the ISR (default 60)
          --topics N                topics created one by one for visibility (default 100)
          --visibility-partitions N partitions of each of those topics (default 3)
          --partitions N            partitions created for the scale test (default 10000)
          --partitions-per-topic N  (default 100, so 100 topics)
          --topics-per-request N    topics per CreateTopics request in the scale test, all requests sent at once (default 10)
          --duration S              seconds of produce per measured run (default 10)
          --produce-runs N          measured produce runs per target, single node and cluster alternating (default 3)
          --warmup N                warm-up messages per produce target (default 300000)
          --flush-mode interval|ack log.flush.mode of every broker (default interval, compare's "lazy")
          --name NAME               write results/cluster-NAME.json and .log (default: the UTC start time)
          --scratch DIR             parent of the data directories (default $TMPDIR/wharf-loadgen)
        """;

    public static ClusterOptions Parse(string[] args)
    {
        var options = args.Contains("--quick")
            ? new ClusterOptions
            {
                Quick = true,
                Runs = 3,
                IsrWaitSeconds = 20,
                Topics = 20,
                Partitions = 1_000,
                DurationSeconds = 3,
                ProduceRuns = 1,
                WarmUpMessages = 50_000,
            }
            : new ClusterOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--quick" => options,
                "--only" => options with { Only = Words(Next(), AllScenarios) },
                "--runs" => options with { Runs = Int() },
                "--isr-wait" => options with { IsrWaitSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--topics" => options with { Topics = Int() },
                "--visibility-partitions" => options with { PartitionsPerVisibilityTopic = Int() },
                "--partitions" => options with { Partitions = Int() },
                "--partitions-per-topic" => options with { PartitionsPerTopic = Int() },
                "--topics-per-request" => options with { TopicsPerRequest = Int() },
                "--duration" => options with { DurationSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--produce-runs" => options with { ProduceRuns = Int() },
                "--warmup" => options with { WarmUpMessages = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--flush-mode" => options with { FlushMode = Words(Next(), ["interval", "ack"]).Single() },
                "--name" => options with { Name = Next() },
                "--scratch" => options with { Scratch = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (options.Runs < 1 || options.Topics < 1 || options.PartitionsPerVisibilityTopic < 1 || options.ProduceRuns < 1
            || options.PartitionsPerTopic < 1 || options.Partitions < options.PartitionsPerTopic || options.TopicsPerRequest < 1
            || options.DurationSeconds <= 0 || options.IsrWaitSeconds <= 0 || options.WarmUpMessages < 1)
        {
            throw new ArgumentException("counts must be at least 1, --duration and --isr-wait positive, and --partitions at least --partitions-per-topic");
        }

        if (options.Name is { } name && (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0))
        {
            throw new ArgumentException($"--name {name}: not usable in a file name");
        }

        return options;
    }

    /// <summary>Topics of the scale test: <see cref="Partitions"/> rounded down to whole topics.</summary>
    public int ScaleTopics => Partitions / PartitionsPerTopic;

    private static string[] Words(string text, string[] allowed)
    {
        var words = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = words.Except(allowed).ToList();
        return unknown.Count == 0 && words.Length > 0 ? words : throw new ArgumentException($"unknown {string.Join(", ", unknown)}; choose from {string.Join(", ", allowed)}");
    }
}
