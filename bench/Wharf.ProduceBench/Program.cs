using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Wharf.Testing;

// Produce throughput by delivery mode against an in-process broker (log.flush.mode=ack, fsync per group commit):
// plain acks=all (librdkafka's default 1,000,000 requests in flight), acks=all capped at 5 in flight (what idempotence
// imposes on the client), and enable.idempotence=true. Runs alternate between the modes so machine noise hits all
// alike; the median of each mode, its ratio to plain acks=all, and the median of the per-run ratios (each run against
// the plain run just before it, which cancels slow drifts in machine load) are printed.
// With `metrics` first, the modes are instead plain acks=all against a broker that records metrics (HTTP listener on,
// scraped every second) and against one that does not (http.listeners empty): what metrics cost on the produce path.
// Usage:
//   dotnet run -c Release --project bench/Wharf.ProduceBench -- [metrics] [messages] [value bytes] [partitions] [runs]
var metricsMode = args.Length > 0 && args[0] == "metrics";
args = metricsMode ? args[1..] : args;
var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500_000;
var valueBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var partitions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;

await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.flush.mode"] = "ack" });
await using var unmetered = metricsMode ? await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.flush.mode"] = "ack", ["http.listeners"] = "" }) : null;
using var scraper = new HttpClient();
using var scraping = new CancellationTokenSource();
var scrapes = metricsMode ? ScrapeEverySecondAsync(scraping.Token) : Task.CompletedTask;
var payload = new byte[valueBytes];
new Random(42).NextBytes(payload);
var modes = metricsMode
    ? new (string Name, string Topic, bool Idempotent, int MaxInFlight, WharfBroker Broker)[]
    {
        ("acks=all, metrics on", "metered", false, 1_000_000, broker),
        ("acks=all, metrics off", "unmetered", false, 1_000_000, unmetered!),
    }
    : [
        ("acks=all", "plain", false, 1_000_000, broker),
        ("acks=all, 5 in flight", "plain5", false, 5, broker),
        ("idempotent", "idempotent", true, 5, broker),
    ];
var results = modes.ToDictionary(m => m.Name, _ => new List<double>());
Console.WriteLine($"librdkafka {Library.VersionString}; {messages:N0} messages x {valueBytes} B over {partitions} partitions; {runs} runs per mode, alternating");
foreach (var target in modes.Select(m => m.Broker).Distinct())
{
    Produce(target, "warm-up", idempotent: false, 1_000_000, Math.Min(messages, 50_000));
}

for (var run = 0; run < runs; run++)
{
    foreach (var mode in modes)
    {
        var rate = Produce(mode.Broker, $"{mode.Topic}-{run}", mode.Idempotent, mode.MaxInFlight, messages);
        results[mode.Name].Add(rate);
        Console.WriteLine($"run {run} {mode.Name,-22} {rate,12:N0} msg/s  {rate * valueBytes / (1 << 20),8:N1} MiB/s");
    }
}

Console.WriteLine();
var plain = Median(results[modes[0].Name]);
foreach (var mode in modes)
{
    var median = Median(results[mode.Name]);
    var paired = Median([.. results[mode.Name].Zip(results[modes[0].Name], (a, b) => a / b)]);
    Console.WriteLine($"median {mode.Name,-22} {median,12:N0} msg/s  {median / plain,7:P1} of {modes[0].Name}; median of per-run ratios {paired,7:P1}");
}

await scraping.CancelAsync();
await scrapes;
return 0;

async Task ScrapeEverySecondAsync(CancellationToken cancellationToken)
{
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
    try
    {
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            await scraper.GetStringAsync(new Uri(broker.HttpAddress!, "metrics"), cancellationToken);
        }
    }
    catch (OperationCanceledException)
    {
    }
}

double Produce(WharfBroker target, string topic, bool idempotent, int maxInFlight, int count)
{
    target.CreateTopicAsync(topic, partitions).GetAwaiter().GetResult();
    var config = new ProducerConfig
    {
        BootstrapServers = target.BootstrapServers,
        Acks = Acks.All,
        EnableIdempotence = idempotent,
        MaxInFlight = maxInFlight,
        LingerMs = 5,
        BatchSize = 1_000_000,
        QueueBufferingMaxMessages = 1_000_000,
        QueueBufferingMaxKbytes = 512 * 1024,
        DeliveryReportFields = "status",
    };
    long failed = 0;
    using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
    var message = new Message<Null, byte[]> { Value = payload };
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        while (true)
        {
            try
            {
                producer.Produce(new TopicPartition(topic, i % partitions), message, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }
                });
                break;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(1));
            }
        }
    }

    if (producer.Flush(TimeSpan.FromMinutes(5)) != 0 || Interlocked.Read(ref failed) != 0)
    {
        throw new InvalidOperationException($"{topic}: {failed} deliveries failed");
    }

    return count / watch.Elapsed.TotalSeconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
