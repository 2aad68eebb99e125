using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Records;
using Wharf.Server;
using Wharf.TestKit;
using Wharf.Testing;
using Xunit.Abstractions;
using ErrorCode = Wharf.Common.ErrorCode;
using KafkaErrorCode = Confluent.Kafka.ErrorCode;
using TopicPartition = Wharf.Common.TopicPartition;

namespace Wharf.Integration.Tests;

/// <summary>
/// Simulated power loss. A broker runs on a <see cref="SimulatedDisk"/> while real clients (Confluent.Kafka) create
/// topics, produce with acks=all, commit group offsets and run transactions; every acknowledgement is stamped with the
/// disk's event count at the moment the client saw it. Afterwards, for thousands of seeded cut points, the disk's
/// state as it would be after a power cut just before that event — only what was fsync'd, directory entries only as
/// their directory was fsync'd, half of the cuts with torn tails — is written to a new directory, a broker is started
/// on it (recovery, metadata replay, coordinator loading: the real start path), and everything acknowledged before the
/// cut must be there: the topic, each record at its offset with its value, each group commit (or a later one), each
/// transactional producer's id. A checker that finds nothing proves nothing, so the same run with the log files'
/// fsyncs dropped must report losses.
/// </summary>
public sealed class PowerLossTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "powerloss";
    private const string LateTopic = "powerloss-late";
    private const string TransactionalTopic = "powerloss-txn";
    private const string Group = "powerloss-group";
    private const string TransactionalId = "powerloss-producer";
    private int _checkedCuts;
    private int _tornCuts;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-powerloss-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static Dictionary<string, string> Settings(string dataDirectory) => new()
    {
        ["log.dirs"] = dataDirectory,
        ["log.flush.mode"] = "ack",
        ["offsets.topic.num.partitions"] = "2",
        ["transaction.state.log.num.partitions"] = "2",
        ["group.initial.rebalance.delay.ms"] = "0",
        ["log.segment.bytes"] = "65536",
    };

    [Fact]
    public async Task PowerCut_AtThousandsOfPoints_LosesNothingAcknowledged()
    {
        const int seed = 20261207;
        var disk = new SimulatedDisk(Path.Combine(_root, "run"));
        var history = await RunWorkloadAsync(disk);
        Assert.True(history.Records.Count >= 2000 && history.Commits.Count >= 10 && history.Transactions.Count >= 5, history.ToString());

        var violations = await CheckCutsAsync(disk, history, seed, cuts: 2000);
        output.WriteLine($"seed {seed}: {disk.Events} durability events; {history}; {_checkedCuts} cut points checked ({_tornCuts} with torn tails)");
        Assert.True(violations.Count == 0, $"seed {seed}, {disk.Events} events: {violations.Count} violation(s):\n" + string.Join("\n", violations.Take(20)));
    }

    [Fact]
    public async Task PowerCut_WhenLogFsyncsAreDropped_TheCheckerFindsLostRecords()
    {
        const int seed = 7;
        var disk = new SimulatedDisk(Path.Combine(_root, "run"))
        {
            DropFsyncs = path => path.EndsWith(".log", StringComparison.Ordinal) && path.Contains($"{Path.DirectorySeparatorChar}{Topic}-", StringComparison.Ordinal),
        };
        var history = await RunWorkloadAsync(disk);

        var violations = await CheckCutsAsync(disk, history, seed, cuts: 50);
        output.WriteLine($"seed {seed}: {_checkedCuts} cut points, {violations.Count} violations; first: {violations.FirstOrDefault()}");
        Assert.Contains(violations, v => v.Contains("record", StringComparison.Ordinal));
    }

    /// <summary>The workload: every acknowledgement with the disk's event count when the client saw it.</summary>
    private static async Task<History> RunWorkloadAsync(SimulatedDisk disk)
    {
        var history = new History();
        await using var broker = await WharfBroker.StartAsync(Settings(disk.Root), disk: disk);
        var bootstrap = broker.BootstrapServers;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 3, ReplicationFactor = 1 }]);
            history.Topics.Add((Topic, disk.Events));
            await admin.CreateTopicsAsync([new TopicSpecification { Name = TransactionalTopic, NumPartitions = 1, ReplicationFactor = 1 }]);
            history.Topics.Add((TransactionalTopic, disk.Events));
        }

        var consuming = Task.Run(() => ConsumeAndCommit(bootstrap, disk, history, expected: 1500));
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 0,

            // One message per request, one request at a time: every acknowledgement is its own group commit, so the run
            // has thousands of distinct durable states to cut at.
            BatchNumMessages = 1,
            MaxInFlight = 1,
        }).Build())
        {
            for (var i = 0; i < 3000; i++)
            {
                var value = $"value-{i}-" + new string((char)('a' + (i % 26)), 150);
                producer.Produce(Topic, new Message<string, string> { Key = $"key-{i % 97}", Value = value }, report =>
                {
                    if (report.Error.Code == KafkaErrorCode.NoError)
                    {
                        history.Acknowledge(report.TopicPartitionOffset, value, disk.Events);
                    }
                });
                if (i == 1000)
                {
                    using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
                    await admin.CreateTopicsAsync([new TopicSpecification { Name = LateTopic, NumPartitions = 1, ReplicationFactor = 1 }]);
                    history.Topics.Add((LateTopic, disk.Events));
                }
            }

            producer.Flush(TimeSpan.FromSeconds(60));
        }

        RunTransactions(bootstrap, disk, history, transactions: 8);
        await consuming;
        return history;
    }

    private static void ConsumeAndCommit(string bootstrap, SimulatedDisk disk, History history, int expected)
    {
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = Group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(Topic);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var consumed = 0;
        while (consumed < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result)
            {
                continue;
            }

            if (++consumed % 20 == 0)
            {
                var next = new TopicPartitionOffset(result.TopicPartition, result.Offset + 1);
                consumer.Commit([next]);
                history.Commit(next, disk.Events);
            }
        }

        consumer.Close();
    }

    private static void RunTransactions(string bootstrap, SimulatedDisk disk, History history, int transactions)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = TransactionalId,
        }).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        for (var t = 0; t < transactions; t++)
        {
            producer.BeginTransaction();
            var sent = new List<(TopicPartitionOffset, string)>();
            for (var i = 0; i < 5; i++)
            {
                var value = $"txn-{t}-{i}";
                producer.Produce(TransactionalTopic, new Message<string, string> { Key = "t", Value = value }, report =>
                {
                    lock (sent)
                    {
                        sent.Add((report.TopicPartitionOffset, value));
                    }
                });
            }

            producer.CommitTransaction(TimeSpan.FromSeconds(30));
            var acknowledged = disk.Events;
            history.Transactions.Add(acknowledged);
            foreach (var (offset, value) in sent)
            {
                history.Acknowledge(offset, value, acknowledged);
            }
        }
    }

    /// <summary>
    /// Recovers a broker from the disk as of each sampled cut (distinct event indices, plus the very first and last)
    /// and lists every acknowledged thing it lacks. Cuts are checked eight at a time: a broker's start and stop mostly
    /// wait, so this keeps the test to minutes on two cores.
    /// </summary>
    private async Task<List<string>> CheckCutsAsync(SimulatedDisk disk, History history, int seed, int cuts)
    {
        var random = new Random(seed);
        var events = disk.Events;
        var points = new SortedSet<long> { 0, events };
        while (points.Count < Math.Min(cuts, events + 1))
        {
            points.Add(random.NextInt64(events + 1));
        }

        var plans = points.Select(cut => (Cut: cut, Torn: random.Next(2) == 0 ? random.Next() : (int?)null)).ToList();
        var violations = new List<string>();
        await Parallel.ForEachAsync(plans, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (plan, _) =>
        {
            var image = Path.Combine(_root, $"cut-{plan.Cut}");
            disk.Materialize(plan.Cut, image, plan.Torn is { } tornSeed ? new Random(tornSeed) : null);
            var label = $"cut {plan.Cut}{(plan.Torn is null ? "" : " (torn)")}";
            List<string> found;
            try
            {
                found = [.. (await CheckAsync(image, history, plan.Cut)).Select(v => $"{label}: {v}")];
            }
            catch (Exception e)
            {
                found = [$"{label}: the broker did not start: {e.GetType().Name}: {e.Message}"];
            }
            finally
            {
                Directory.Delete(image, recursive: true);
            }

            lock (violations)
            {
                violations.AddRange(found);
                _checkedCuts++;
                _tornCuts += plan.Torn is null ? 0 : 1;
            }
        });
        return violations;
    }

    private static async Task<List<string>> CheckAsync(string image, History history, long cut)
    {
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string>(),
            Overrides = [.. Settings(image), new("listeners", "PLAINTEXT://127.0.0.1:0"), new("http.listeners", "http://127.0.0.1:0")],
        });
        // Its own simulated disk only spares the recovery's fsyncs the real device's latency.
        await using var broker = await KafkaBroker.StartAsync(config, NullLoggerFactory.Instance, disk: new SimulatedDisk(image));
        var missing = new List<string>();
        var topics = broker.Controller.Current.TopicsByName.Keys.ToHashSet();
        foreach (var (topic, acknowledged) in history.Topics.Where(t => t.Acknowledged <= cut))
        {
            if (!topics.Contains(topic))
            {
                missing.Add($"topic {topic} (created at event {acknowledged}) is missing");
            }
        }

        var logs = new Dictionary<TopicPartition, Dictionary<long, string>>();
        foreach (var record in history.Records.Where(r => r.Acknowledged <= cut))
        {
            if (!logs.TryGetValue(record.Partition, out var values))
            {
                logs[record.Partition] = values = ReadValues(broker, record.Partition);
            }

            if (!values.TryGetValue(record.Offset, out var found) || found != record.Value)
            {
                missing.Add($"record {record.Partition}@{record.Offset} '{record.Value[..Math.Min(12, record.Value.Length)]}' (acknowledged at event {record.Acknowledged}) is {(found is null ? "missing" : "different")}");
            }
        }

        var (_, committed) = broker.Groups.FetchOffsets(Group, null, requireStable: false);
        foreach (var commit in history.Commits.Where(c => c.Acknowledged <= cut))
        {
            var offset = committed.Where(t => t.Name == commit.Partition.Topic).SelectMany(t => t.Partitions)
                .FirstOrDefault(p => p.PartitionIndex == commit.Partition.Partition)?.CommittedOffset ?? -1;
            if (offset < commit.Offset)
            {
                missing.Add($"commit {commit.Partition}={commit.Offset} (acknowledged at event {commit.Acknowledged}) recovered as {offset}");
            }
        }

        if (history.Transactions.Count > 0 && history.Transactions[0] <= cut
            && broker.Transactions.DescribeTransaction(TransactionalId) is not (ErrorCode.None, not null))
        {
            missing.Add($"transactional id {TransactionalId} is unknown although a transaction was committed at event {history.Transactions[0]}");
        }

        return missing;
    }

    /// <summary>Every record of the partition, through the log's own read path: offset → value.</summary>
    private static Dictionary<long, string> ReadValues(KafkaBroker broker, TopicPartition partition) =>
        broker.Replicas.Logs.GetLog(partition) is { } log ? LogValues.Read(log) : [];

    private sealed class History
    {
        private readonly Lock _gate = new();

        public List<(string Topic, long Acknowledged)> Topics { get; } = [];

        public List<(TopicPartition Partition, long Offset, string Value, long Acknowledged)> Records { get; } = [];

        public List<(TopicPartition Partition, long Offset, long Acknowledged)> Commits { get; } = [];

        public List<long> Transactions { get; } = [];

        public void Acknowledge(TopicPartitionOffset at, string value, long events)
        {
            lock (_gate)
            {
                Records.Add((new TopicPartition(at.Topic, at.Partition.Value), at.Offset.Value, value, events));
            }
        }

        public void Commit(TopicPartitionOffset next, long events)
        {
            lock (_gate)
            {
                Commits.Add((new TopicPartition(next.Topic, next.Partition.Value), next.Offset.Value, events));
            }
        }

        public override string ToString() => $"{Topics.Count} topics, {Records.Count} records, {Commits.Count} commits, {Transactions.Count} transactions";
    }
}
