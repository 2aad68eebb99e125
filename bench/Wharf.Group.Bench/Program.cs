using System.Diagnostics;
using Confluent.Kafka;
using Wharf.Testing;

// Consumer-group figures against an in-process broker (log.flush.mode=ack, the default), with Confluent.Kafka 2.16.0:
//   rebalance  — 3 → 2 members: time from one member's Close() (LeaveGroup) until the other two own 3 partitions each.
//   commits    — synchronous OffsetCommit round trips per second, by number of concurrent committers.
// usage: dotnet run -c Release --project bench/Wharf.Group.Bench [rounds=5] [seconds=10]
var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;

await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.flush.mode"] = "ack" });
await broker.CreateTopicAsync("bench", 6);

foreach (var heartbeatMs in new[] { 3000, 500 })
{
    var times = new List<double>();
    for (var round = 0; round < rounds; round++)
    {
        times.Add(RebalanceThreeToTwo(broker.BootstrapServers, $"rebalance-{heartbeatMs}-{round}", heartbeatMs));
    }

    times.Sort();
    Console.WriteLine($"rebalance 3->2 heartbeat.interval.ms={heartbeatMs}: median {times[times.Count / 2]:F0} ms, min {times[0]:F0} ms, max {times[^1]:F0} ms ({rounds} rounds)");
}

foreach (var committers in new[] { 1, 8, 32 })
{
    var count = await CommitLoop(broker.BootstrapServers, committers, TimeSpan.FromSeconds(seconds));
    Console.WriteLine($"commits committers={committers}: {count / seconds:F0} commits/s ({count} in {seconds} s)");
}

static double RebalanceThreeToTwo(string bootstrap, string group, int heartbeatMs)
{
    var consumers = Enumerable.Range(0, 3).Select(_ => new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = group,
        SessionTimeoutMs = 10_000,
        HeartbeatIntervalMs = heartbeatMs,
        EnableAutoCommit = false,
    }).Build()).ToList();
    consumers.ForEach(c => c.Subscribe("bench"));
    Poll(consumers, () => consumers.All(c => c.Assignment.Count == 2));
    var leaving = consumers[0];
    consumers.RemoveAt(0);
    var watch = Stopwatch.StartNew();
    leaving.Close();
    Poll(consumers, () => consumers.All(c => c.Assignment.Count == 3));
    var elapsed = watch.Elapsed.TotalMilliseconds;
    leaving.Dispose();
    consumers.ForEach(c => c.Close());
    consumers.ForEach(c => c.Dispose());
    return elapsed;
}

static void Poll(List<IConsumer<Ignore, Ignore>> consumers, Func<bool> done)
{
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
    while (!done())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("group did not settle");
        }

        foreach (var consumer in consumers)
        {
            consumer.Consume(TimeSpan.FromMilliseconds(5));
        }
    }
}

static async Task<long> CommitLoop(string bootstrap, int committers, TimeSpan duration)
{
    long total = 0;
    using var stop = new CancellationTokenSource(duration);
    var tasks = Enumerable.Range(0, committers).Select(k => Task.Factory.StartNew(() =>
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"commits-{committers}-{k}", EnableAutoCommit = false }).Build();
        var partition = new TopicPartition("bench", k % 6);
        for (long offset = 1; !stop.IsCancellationRequested; offset++)
        {
            consumer.Commit([new TopicPartitionOffset(partition, offset)]);
            Interlocked.Increment(ref total);
        }

        consumer.Close();
    }, TaskCreationOptions.LongRunning)).ToArray();
    await Task.WhenAll(tasks);
    return total;
}
