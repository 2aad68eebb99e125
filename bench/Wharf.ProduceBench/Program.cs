using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Wharf.Testing;

// Produce throughput by delivery mode against an in-process broker (log.flush.mode=ack, fsync per group commit):
// plain acks=all (librdkafka's default 1,000,000 requests in flight), acks=all capped at 5 in flight (what idempotence
// imposes on the client), and enable.idempotence=true. Runs alternate between the modes so machine noise hits all
// alike; the median of each mode, its ratio to plain acks=all, and the median of the per-run ratios (each run against
// the plain run just before it, which cancels slow drifts in machine load) are printed. Usage:
//   dotnet run -c Release --project bench/Wharf.ProduceBench -- [messages] [value bytes] [partitions] [runs]
var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500_000;
var valueBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var partitions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;

await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.flush.mode"] = "ack" });
var payload = new byte[valueBytes];
new Random(42).NextBytes(payload);
var modes = new (string Name, string Topic, bool Idempotent, int MaxInFlight)[]
{
    ("acks=all", "plain", false, 1_000_000),
    ("acks=all, 5 in flight", "plain5", false, 5),
    ("idempotent", "idempotent", true, 5),
};
var results = modes.ToDictionary(m => m.Name, _ => new List<double>());
Console.WriteLine($"librdkafka {Library.VersionString}; {messages:N0} messages x {valueBytes} B over {partitions} partitions; {runs} runs per mode, alternating");
Produce("warm-up", idempotent: false, 1_000_000, Math.Min(messages, 50_000));
for (var run = 0; run < runs; run++)
{
    foreach (var mode in modes)
    {
        var rate = Produce($"{mode.Topic}-{run}", mode.Idempotent, mode.MaxInFlight, messages);
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
    Console.WriteLine($"median {mode.Name,-22} {median,12:N0} msg/s  {median / plain,7:P1} of acks=all; median of per-run ratios {paired,7:P1}");
}
return 0;

double Produce(string topic, bool idempotent, int maxInFlight, int count)
{
    broker.CreateTopicAsync(topic, partitions).GetAwaiter().GetResult();
    var config = new ProducerConfig
    {
        BootstrapServers = broker.BootstrapServers,
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
