using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server;
using Wharf.Storage;
using Wharf.TestKit;
using Xunit.Abstractions;
using KafkaErrorCode = Confluent.Kafka.ErrorCode;
using TopicPartition = Wharf.Common.TopicPartition;

namespace Wharf.Integration.Tests;

/// <summary>
/// Durability beyond Kafka: under <c>log.flush.mode=ack</c> a follower counts toward the high watermark only for what it
/// has fsync'd, so an acknowledged (acks=all) record is on the disk of every in-sync replica and a simultaneous power
/// loss of every broker loses nothing acknowledged. Three in-process brokers each run on their own
/// <see cref="SimulatedDisk"/>; every acknowledgement is stamped with the three disks' event counts when the client saw
/// it; then, for sampled acknowledgements, each disk is materialised as it would be after a power cut at that moment
/// and every replica's log must hold every record acknowledged until then. A checker that finds nothing proves nothing,
/// so the same run with one broker's log fsyncs dropped must report records missing there (and with one broker's fsyncs as slow as a
/// device's, a follower that reported its fetch offset before its fsync finished makes the first test fail).
/// </summary>
public sealed class ReplicatedPowerLossTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "durable";
    private const int Brokers = 3;
    private const int Partitions = 2;

    /// <summary>
    /// Broker 3's log fsyncs take this long, as on a slow device: an acknowledgement that did not wait for its fsyncs
    /// then lands while they are still under way, where a cut finds the record missing on it.
    /// </summary>
    private static readonly TimeSpan SlowDiskLatency = TimeSpan.FromMilliseconds(50);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-replicated-powerloss-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task PowerLossOfEveryBroker_LosesNoAcknowledgedRecord_OnAnyInSyncReplica()
    {
        var disks = Disks(_ => null);
        var acknowledged = await RunWorkloadAsync(disks, records: 150);
        var violations = Check(disks, acknowledged, seed: 15, cuts: 60);
        Assert.True(violations.Count == 0, $"{violations.Count} violation(s):\n" + string.Join("\n", violations.Take(20)));
    }

    [Fact]
    public async Task PowerLoss_WhenOneBrokersLogFsyncsAreDropped_TheCheckerFindsRecordsMissingThere()
    {
        var disks = Disks(node => node == 3 ? path => path.EndsWith(".log", StringComparison.Ordinal) && path.Contains($"{Path.DirectorySeparatorChar}{Topic}-", StringComparison.Ordinal) : null);
        var acknowledged = await RunWorkloadAsync(disks, records: 100);
        var violations = Check(disks, acknowledged, seed: 16, cuts: 20);
        output.WriteLine($"{violations.Count} violations; first: {violations.FirstOrDefault()}");
        Assert.Contains(violations, v => v.StartsWith("broker 3", StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => !v.StartsWith("broker 3", StringComparison.Ordinal));
    }

    private SimulatedDisk[] Disks(Func<int, Func<string, bool>?> dropFsyncs) =>
        [.. Enumerable.Range(1, Brokers).Select(n => new SimulatedDisk(Path.Combine(_root, $"n{n}")) { DropFsyncs = dropFsyncs(n) })];

    /// <summary>Produces one record per request with acks=all; each acknowledgement with every disk's event count.</summary>
    private async Task<List<Acknowledged>> RunWorkloadAsync(SimulatedDisk[] disks, int records)
    {
        var store = new InMemoryMetadataStore();
        var brokers = new List<KafkaBroker>();
        var acknowledged = new List<Acknowledged>();
        try
        {
            foreach (var node in Enumerable.Range(1, Brokers))
            {
                var disk = new SlowFsyncs(disks[node - 1], node == 3 ? SlowDiskLatency : TimeSpan.Zero);
                brokers.Add(await KafkaBroker.StartAsync(Config(node, disks[node - 1].Root), NullLoggerFactory.Instance, disk: disk, cluster: InProcessBroker.MemberOf(store, node)));
            }

            var bootstrap = string.Join(",", brokers.Select(b => b.BootstrapServers));
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = Partitions, ReplicationFactor = Brokers, Configs = new() { ["min.insync.replicas"] = "2" } }]);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Task.WhenAll(brokers.Select(b => b.Controller.WaitForImageAsync(i => i.TryGetTopic(Topic, out var t) && t.Partitions.Values.All(p => p.Leader >= 0), timeout.Token)));
            using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            {
                BootstrapServers = bootstrap,
                Acks = Acks.All,
                EnableIdempotence = true,
                LingerMs = 0,
                BatchNumMessages = 1,
                MaxInFlight = 1,
            }).Build())
            {
                for (var i = 0; i < records; i++)
                {
                    var value = $"value-{i}";
                    producer.Produce(new Confluent.Kafka.TopicPartition(Topic, i % Partitions), new Message<Null, string> { Value = value }, report =>
                    {
                        if (report.Error.Code == KafkaErrorCode.NoError)
                        {
                            var events = disks.Select(d => d.Events).ToArray();
                            lock (acknowledged)
                            {
                                acknowledged.Add(new Acknowledged(new TopicPartition(Topic, report.Partition.Value), report.Offset.Value, value, events));
                            }
                        }
                    });
                }

                Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
            }

            // The check below holds every replica to every acknowledgement, which is right only if none left the ISR.
            var image = brokers[0].Controller.Current;
            Assert.All(image.TopicsByName[Topic].Partitions.Values, p => Assert.Equal(Brokers, p.Isr.Length));
            Assert.Equal(records, acknowledged.Count);
            return acknowledged;
        }
        finally
        {
            foreach (var broker in brokers)
            {
                await broker.DisposeAsync();
            }
        }
    }

    /// <summary>For sampled acknowledgements: every replica's disk, cut at that moment, holds everything acknowledged until then.</summary>
    private List<string> Check(SimulatedDisk[] disks, List<Acknowledged> acknowledged, int seed, int cuts)
    {
        var random = new Random(seed);
        var ordered = acknowledged.OrderBy(a => a.Events[0]).ToList();
        var points = Enumerable.Range(0, cuts).Select(_ => random.Next(ordered.Count)).Append(ordered.Count - 1).Distinct().Order().ToList();
        var violations = new List<string>();
        foreach (var point in points)
        {
            var cut = ordered[point];
            var expected = ordered.Take(point + 1).ToList();
            for (var node = 1; node <= Brokers; node++)
            {
                var image = Path.Combine(_root, $"cut-{point}-n{node}");
                disks[node - 1].Materialize(cut.Events[node - 1], image);
                try
                {
                    using var logs = LogManager.Open(new LogManagerOptions { DataDirectory = image, EnableBackgroundTasks = false });
                    foreach (var partition in expected.GroupBy(a => a.Partition))
                    {
                        var values = logs.GetLog(partition.Key) is { } log ? LogValues.Read(log) : [];
                        violations.AddRange(partition
                            .Where(a => !values.TryGetValue(a.Offset, out var found) || found != a.Value)
                            .Select(a => $"broker {node}, cut at acknowledgement {point}: {a.Partition}@{a.Offset} '{a.Value}' is missing"));
                    }
                }
                finally
                {
                    Directory.Delete(image, recursive: true);
                }
            }
        }

        output.WriteLine($"{points.Count} cut points × {Brokers} brokers checked over {acknowledged.Count} acknowledged records");
        return violations;
    }

    private static BrokerConfig Config(int node, string directory) => BrokerConfigLoader.Load(new BrokerConfigSources
    {
        Environment = new Dictionary<string, string>(),
        Overrides =
        [
            new("listeners", "PLAINTEXT://127.0.0.1:0"),
            new("http.listeners", "http://127.0.0.1:0"),
            new("log.dirs", directory),
            new("node.id", node.ToString(CultureInfo.InvariantCulture)),
            new("log.flush.mode", "ack"),
            new("offsets.topic.num.partitions", "2"),
            new("transaction.state.log.num.partitions", "2"),
        ],
    });

    /// <summary>A disk whose log fsyncs take <paramref name="latency"/> before they happen.</summary>
    private sealed class SlowFsyncs(SimulatedDisk inner, TimeSpan latency) : Common.IDisk
    {
        public void Write(Microsoft.Win32.SafeHandles.SafeFileHandle file, string path, ReadOnlySpan<byte> bytes, long offset) => inner.Write(file, path, bytes, offset);

        public void Fsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, string path)
        {
            if (latency > TimeSpan.Zero && path.EndsWith(".log", StringComparison.Ordinal))
            {
                Thread.Sleep(latency);
            }

            inner.Fsync(file, path);
        }

        public void FsyncDirectory(string directory) => inner.FsyncDirectory(directory);
    }

    private sealed record Acknowledged(TopicPartition Partition, long Offset, string Value, long[] Events);
}
