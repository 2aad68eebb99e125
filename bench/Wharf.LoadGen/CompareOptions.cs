using System.Globalization;

namespace Wharf.LoadGen;

/// <summary>Settings of one <c>compare</c> run, from the command line.</summary>
public sealed record CompareOptions
{
    public static readonly string[] AllTargets = ["wharf", "ceiling", "nats", "redis"];

    public long Messages { get; init; } = 1_000_000;

    public int Runs { get; init; } = 3;

    public long WarmUpMessages { get; init; } = 300_000;

    /// <summary>Message sizes; 4 KiB because the design's average message is "a few KB".</summary>
    public int[] Sizes { get; init; } = [1024, 4096, 100];

    public string[] Only { get; init; } = AllTargets;

    /// <summary>"lazy", "strict" or both.</summary>
    public string[] Durabilities { get; init; } = ["lazy", "strict"];

    public bool Latency { get; init; } = true;

    public int LatencyRate { get; init; } = 20_000;

    public TimeSpan LatencyDuration { get; init; } = TimeSpan.FromSeconds(10);

    public bool Scaling { get; init; } = true;

    public int[] ScalingPartitions { get; init; } = [1, 8, 64, 512];

    public int[] ScalingProducers { get; init; } = [1, 4];

    public long ScalingMessages { get; init; } = 500_000;

    /// <summary>Backlog consumed from disk after dropping the page cache, in MiB of 1 KiB messages (0 = skip).</summary>
    public long BacklogMiB { get; init; } = 5120;

    public string? JsonPath { get; init; }

    public string Scratch { get; init; } = Path.Combine(Path.GetTempPath(), "wharf-loadgen");

    public bool Quick { get; init; }

    /// <summary>NATS consumer: messages per pull (<c>MaxMsgs</c>), and the buffered count below which the next pull
    /// is sent (<c>ThresholdMsgs</c>, 0 = the client's default of half), so several pulls overlap.</summary>
    public int NatsPullMessages { get; init; } = 1_000;

    public int NatsPullThreshold { get; init; } = 900;

    /// <summary>Redis consumer: entries per read (<c>COUNT</c>), and reads in flight: 1 = <c>XREAD</c> after
    /// <c>XREAD</c>; more = pipelined <c>XREADGROUP … NOACK</c>, whose server-side cursor lets reads go out before the
    /// previous reply names the last id.</summary>
    public int RedisReadCount { get; init; } = 1_000;

    public int RedisReadsInFlight { get; init; } = 1;

    /// <summary>Measure the disk ceiling (<see cref="LoadGen.DiskCeiling"/>) after every Wharf throughput run.</summary>
    public bool DiskCeiling { get; init; } = true;

    /// <summary>fio's block size for the disk ceiling: one write (and, strict, one fsync) per block.</summary>
    public int DiskBlockBytes { get; init; } = 1024 * 1024;

    /// <summary>Extra environment for the Wharf process only (e.g. runtime knobs under test), KEY=VALUE.</summary>
    public string[] WharfEnvironment { get; init; } = [];

    /// <summary>Log librdkafka's own view of each produce phase (round trip and queue p99, queue peak).</summary>
    public bool ClientStatistics { get; init; }

    public const string Usage = """
        usage: Wharf.LoadGen compare [options]
          --quick                 small counts, 1 run, no backlog (a few minutes)
          --messages N            messages per run (default 1000000)
          --runs N                measured runs after one warm-up (default 3)
          --warmup N              warm-up messages (default 300000: the broker's JIT tiering settles)
          --sizes 1024,4096,100   message sizes in bytes (above 1 KiB a run sends the same bytes as a 1 KiB run)
          --only wharf,ceiling,nats,redis
          --durability lazy,strict
          --no-latency | --latency-seconds S | --rate N   (default 10 s at 20000 msg/s)
          --no-scaling | --partitions 1,8,64,512 | --producers 1,4 | --scaling-messages N
          --backlog-mib N         backlog consumed from disk (default 5120 = the issue's 5 GB; 0 = skip)
          --json PATH             where to write the JSON results (default bench/Wharf.LoadGen/results/compare-<utc>.json)
          --scratch DIR           parent of the fresh data directories (default $TMPDIR/wharf-loadgen)
          --wharf-env KEY=VALUE   environment for the Wharf process only (repeatable), e.g. a runtime knob under test
          --client-stats          log librdkafka's round-trip and queue figures for every Kafka produce phase
          --nats-pull N[:T]       NATS consumer: N messages per pull, next pull when T are left (default 1000:900; N alone: T = N/2)
          --redis-read C[:K]      Redis consumer: COUNT C per read, K reads in flight (K > 1: pipelined XREADGROUP NOACK)
          --no-disk               skip the disk ceiling (fio after every Wharf run, same bytes, same data directory)
          --disk-block-kib N      fio block size for the disk ceiling (default 1024: one fsync per MiB when strict)
        """;

    public static CompareOptions Parse(string[] args)
    {
        var options = args.Contains("--quick")
            ? new CompareOptions
            {
                Quick = true,
                Messages = 200_000,
                Runs = 1,
                WarmUpMessages = 20_000,
                LatencyDuration = TimeSpan.FromSeconds(5),
                ScalingPartitions = [1, 8, 512],
                ScalingProducers = [1],
                ScalingMessages = 100_000,
                BacklogMiB = 0,
            }
            : new CompareOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--quick" => options,
                "--messages" => options with { Messages = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--runs" => options with { Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--warmup" => options with { WarmUpMessages = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--sizes" => options with { Sizes = Ints(Next()) },
                "--only" => options with { Only = Words(Next(), AllTargets) },
                "--durability" => options with { Durabilities = Words(Next(), ["lazy", "strict"]) },
                "--no-latency" => options with { Latency = false },
                "--latency-seconds" => options with { LatencyDuration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--rate" => options with { LatencyRate = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--no-scaling" => options with { Scaling = false },
                "--partitions" => options with { ScalingPartitions = Ints(Next()) },
                "--producers" => options with { ScalingProducers = Ints(Next()) },
                "--scaling-messages" => options with { ScalingMessages = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--backlog-mib" => options with { BacklogMiB = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--json" => options with { JsonPath = Next() },
                "--scratch" => options with { Scratch = Next() },
                "--client-stats" => options with { ClientStatistics = true },
                "--nats-pull" => Pair(Next()) is var (n, t) ? options with { NatsPullMessages = n, NatsPullThreshold = t ?? n / 2 } : options,
                "--redis-read" => Pair(Next()) is var (c, k) ? options with { RedisReadCount = c, RedisReadsInFlight = k ?? 1 } : options,
                "--no-disk" => options with { DiskCeiling = false },
                "--disk-block-kib" => options with { DiskBlockBytes = int.Parse(Next(), CultureInfo.InvariantCulture) * 1024 },
                "--wharf-env" => options with { WharfEnvironment = [.. options.WharfEnvironment, Next()] },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (options.Messages < 1 || options.Runs < 1 || options.Sizes.Any(s => s < 16) || options.DiskBlockBytes < 4096)
        {
            throw new ArgumentException("--messages and --runs must be at least 1, sizes at least 16 bytes, --disk-block-kib at least 4");
        }

        return options;
    }

    /// <summary>
    /// Messages per measured run of <paramref name="size"/> bytes: <see cref="Messages"/> up to 1 KiB; above that the
    /// same bytes as a 1 KiB run (250,000 × 4 KiB by default), so a run takes about as long and Redis, which keeps
    /// a stream in memory, needs no more of it.
    /// </summary>
    public long MessagesFor(int size) => size <= 1024 ? Messages : Math.Max(1, Messages * 1024 / size);

    /// <summary>Warm-up messages before the runs of <paramref name="size"/> bytes, scaled like <see cref="MessagesFor"/>.</summary>
    public long WarmUpFor(int size) => size <= 1024 ? WarmUpMessages : WarmUpMessages * 1024 / size;

    private static (int First, int? Second) Pair(string text)
    {
        var parts = Ints(text.Replace(':', ','));
        return parts.Length is 1 or 2 && parts.All(p => p >= 0) && parts[0] > 0
            ? (parts[0], parts.Length == 2 ? parts[1] : null)
            : throw new ArgumentException($"{text}: expected N or N:M");
    }

    private static int[] Ints(string text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture))];

    private static string[] Words(string text, string[] allowed)
    {
        var words = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = words.Except(allowed).ToList();
        return unknown.Count == 0 ? words : throw new ArgumentException($"unknown {string.Join(", ", unknown)}; choose from {string.Join(", ", allowed)}");
    }
}
