using System.Globalization;

namespace Wharf.LoadGen.Queue;

/// <summary>Settings of one <c>queue</c> run, from the command line.</summary>
public sealed record QueueOptions
{
    /// <summary>The targets, in the order they run.</summary>
    public static readonly string[] AllTargets = [QueueSystems.RabbitMqQuorum, QueueSystems.RabbitMqClassic, QueueSystems.Nats, QueueSystems.Wharf];

    public string[] Only { get; init; } = AllTargets;

    public long Messages { get; init; } = 200_000;

    public int Size { get; init; } = 1024;

    public int Consumers { get; init; } = 4;

    public int Runs { get; init; } = 3;

    /// <summary>One unmeasured produce + consume per target before the runs; 0 = none. 50,000 because after 20,000 the
    /// first measured run still paid for the generator's JIT tiering (twice the generator CPU per message of run 2).</summary>
    public long WarmUpMessages { get; init; } = 50_000;

    /// <summary>RabbitMQ: publishes awaiting their confirm at once (one channel).</summary>
    public int RabbitConfirmWindow { get; init; } = 1_000;

    /// <summary>RabbitMQ: <c>basic.qos</c> prefetch per consumer (unacknowledged deliveries in flight). 1,000 measured
    /// the least broker CPU per message of 250 / 500 / 1,000 (docs/benchmarks.md, "Queues").</summary>
    public int RabbitPrefetch { get; init; } = 1_000;

    /// <summary>RabbitMQ classic queue: <c>x-queue-version</c>, 1 (the 3.10 default) or 2 (the newer index and store).</summary>
    public int RabbitClassicVersion { get; init; } = 1;

    /// <summary>NATS: publishes awaiting their ack at once (the <c>compare</c> command's tuned window).</summary>
    public int NatsPublishWindow { get; init; } = 1_000;

    /// <summary>NATS: messages per pull request of each consumer, and the count left at which the next pull goes out;
    /// 1,000:500, like RabbitMQ's prefetch at most ~1,000 unacknowledged per consumer, measured the least broker CPU.</summary>
    public int NatsPullMessages { get; init; } = 1_000;

    public int NatsPullThreshold { get; init; } = 500;

    /// <summary>NATS: the durable consumer's <c>MaxAckPending</c> (0 = 4 × consumers × pull size).</summary>
    public int NatsMaxAckPending { get; init; }

    /// <summary>Wharf: partitions of the share group's topic. 2, so two of the 4 consumers share each partition: a
    /// share-partition holds at most 2,000 record locks (<c>group.share.partition.max.record.locks</c>), so 1 partition
    /// caps 4 consumers at 500 records each in flight; 2 measured fastest of 1 / 2 / 4 (docs/benchmarks.md, "Queues").</summary>
    public int WharfPartitions { get; init; } = 2;

    /// <summary>Wharf: the share consumers' <c>max.poll.records</c>. 2,000 rather than librdkafka's 500: the producer's
    /// batches hold ~1,000 records and a ShareFetch answers with whole batches, so 500 sends most batches twice.</summary>
    public int WharfMaxPollRecords { get; init; } = 2_000;

    /// <summary>Wharf: the share consumers' <c>fetch.max.bytes</c>, the MaxBytes of each ShareFetch (0: librdkafka's
    /// default, 50 MiB). 2 MiB: Wharf reads and copies up to MaxBytes of log per ShareFetch however few records it
    /// acquires, so the 50 MiB default cost ~37 broker CPU-µs per message against ~4 at 1–2 MiB.</summary>
    public int WharfFetchMaxBytes { get; init; } = 2 << 20;

    /// <summary>Wharf: how a share consumer sends a batch's acknowledgements. <c>CommitAsync</c> after each batch: as
    /// fast as letting the next ShareFetch carry them, within the noise, and it works around a broker bug that makes
    /// librdkafka drop ShareFetch responses carrying acknowledgement results (see <see cref="WharfShareGroupDriver"/>).</summary>
    public WharfCommit WharfCommit { get; init; } = WharfCommit.Async;

    /// <summary>Longest a produce or consume phase may take before it is cancelled and the target marked failed.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A consume phase with no new message for this long is cancelled (stalled).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Results go to <c>results/queue-NAME.json</c> and <c>.log</c>; default the UTC start time.</summary>
    public string? Name { get; init; }

    public string Scratch { get; init; } = Path.Combine(Path.GetTempPath(), "wharf-loadgen");

    public bool Quick { get; init; }

    public int EffectiveNatsMaxAckPending => NatsMaxAckPending > 0 ? NatsMaxAckPending : 4 * Consumers * NatsPullMessages;

    public const string Usage = """
        usage: Wharf.LoadGen queue [options]
          --quick                   smoke test: 20000 messages, 1 run, 2000 warm-up (a minute or two per target)
          --only rabbitmq-quorum,rabbitmq-classic,nats,wharf
          --messages N              messages per run (default 200000)
          --size B                  message size in bytes, at least 16 (default 1024)
          --consumers N             consumers, each acknowledging every message on its own (default 4)
          --runs N                  measured runs per target, median and range reported (default 3)
          --warmup N                unmeasured warm-up messages per target, 0 = none (default 50000)
          --rabbit-confirms N       RabbitMQ publishes awaiting a confirm at once (default 1000)
          --rabbit-prefetch N       RabbitMQ basic.qos prefetch per consumer (default 1000)
          --rabbit-classic-version 1|2  x-queue-version of the classic queue (default 1, 3.10's default)
          --nats-publish-window N   NATS publishes awaiting an ack at once (default 1000)
          --nats-pull N[:T]         NATS: N messages per pull, next pull when T are left (default 1000:500; N alone: T = N/2)
          --nats-max-ack-pending N  NATS consumer MaxAckPending (default 4 × consumers × pull size)
          --wharf-partitions N      partitions of the Wharf share group's topic (default 2)
          --wharf-max-poll-records N  the Wharf share consumers' max.poll.records (default 2000)
          --wharf-fetch-max-bytes N  the Wharf share consumers' fetch.max.bytes, 0 = librdkafka's 50 MiB
                                    (default 2097152)
          --wharf-commit async|next-fetch  Wharf acks sent by CommitAsync after each batch, or carried by the
                                    next ShareFetch (default async)
          --phase-timeout S         longest produce or consume phase, seconds (default 300)
          --name NAME               write results/queue-NAME.json and .log (default: the UTC start time)
          --scratch DIR             parent of the data directories (default $TMPDIR/wharf-loadgen)
        """;

    public static QueueOptions Parse(string[] args)
    {
        var options = args.Contains("--quick")
            ? new QueueOptions { Quick = true, Messages = 20_000, Runs = 1, WarmUpMessages = 2_000 }
            : new QueueOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--quick" => options,
                "--only" => options with { Only = Words(Next(), AllTargets) },
                "--messages" => options with { Messages = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--size" => options with { Size = Int() },
                "--consumers" => options with { Consumers = Int() },
                "--runs" => options with { Runs = Int() },
                "--warmup" => options with { WarmUpMessages = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--rabbit-confirms" => options with { RabbitConfirmWindow = Int() },
                "--rabbit-prefetch" => options with { RabbitPrefetch = Int() },
                "--rabbit-classic-version" => options with { RabbitClassicVersion = Int() is var v and (1 or 2) ? v : throw new ArgumentException("--rabbit-classic-version must be 1 or 2") },
                "--nats-publish-window" => options with { NatsPublishWindow = Int() },
                "--nats-pull" => Pull(Next()) is var (n, t) ? options with { NatsPullMessages = n, NatsPullThreshold = t } : options,
                "--nats-max-ack-pending" => options with { NatsMaxAckPending = Int() },
                "--wharf-partitions" => options with { WharfPartitions = Int() },
                "--wharf-max-poll-records" => options with { WharfMaxPollRecords = Int() },
                "--wharf-fetch-max-bytes" => options with { WharfFetchMaxBytes = Int() },
                "--wharf-commit" => options with { WharfCommit = Commit(Next()) },
                "--phase-timeout" => options with { PhaseTimeout = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--name" => options with { Name = Next() },
                "--scratch" => options with { Scratch = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (options.Messages < 1 || options.Runs < 1 || options.Consumers < 1 || options.WarmUpMessages < 0 || options.WharfPartitions < 1 || options.WharfMaxPollRecords < 1 || options.WharfFetchMaxBytes < 0
            || options.RabbitConfirmWindow < 1 || options.NatsPublishWindow < 1 || options.PhaseTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("--messages, --runs, --consumers, --wharf-partitions, --wharf-max-poll-records and the windows must be at least 1, --warmup at least 0, --phase-timeout positive");
        }

        if (options.Size < QueueMessage.HeaderBytes)
        {
            throw new ArgumentException($"--size must be at least {QueueMessage.HeaderBytes} bytes (the sequence number and run tag)");
        }

        if (options.RabbitPrefetch is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentException("--rabbit-prefetch must be 1..65535");
        }

        if (options.Name is { } name && (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0))
        {
            throw new ArgumentException($"--name {name}: not usable in a file name");
        }

        return options;
    }

    private static WharfCommit Commit(string text) => text switch
    {
        "async" => WharfCommit.Async,
        "next-fetch" => WharfCommit.NextFetch,
        _ => throw new ArgumentException($"--wharf-commit {text}: expected async or next-fetch"),
    };

    private static (int Messages, int Threshold) Pull(string text)
    {
        var parts = text.Split(':');
        var messages = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var threshold = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : messages / 2;
        return parts.Length <= 2 && messages > 0 && threshold >= 0 && threshold < messages
            ? (messages, threshold)
            : throw new ArgumentException($"--nats-pull {text}: expected N or N:T with 0 <= T < N");
    }

    private static string[] Words(string text, string[] allowed)
    {
        var words = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = words.Except(allowed).ToList();
        return unknown.Count == 0 && words.Length > 0 ? words : throw new ArgumentException($"unknown {string.Join(", ", unknown)}; choose from {string.Join(", ", allowed)}");
    }
}

/// <summary>The names the queue benchmark's targets, tables and JSON use for each system.</summary>
public static class QueueSystems
{
    public const string RabbitMqQuorum = "rabbitmq-quorum";
    public const string RabbitMqClassic = "rabbitmq-classic";
    public const string Nats = "nats";
    public const string Wharf = "wharf";
}
