using System.Collections.Concurrent;
using Confluent.Kafka;

namespace Wharf.Integration.Tests;

/// <summary>kill -9 of the real broker process mid-produce under <c>log.flush.mode=ack</c>.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "wharf-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_StopsCleanly_WithTheCleanShutdownMarker_AndTheNextStartNeedsNoRecovery()
    {
        using (var broker = await BrokerProcess.StartAsync(_dataDirectory, null, "num.partitions=2"))
        {
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All }).Build();
            for (var i = 0; i < 100; i++)
            {
                producer.Produce("graceful", new Message<Null, string> { Value = $"m{i}" });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, await broker.TerminateAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.True(File.Exists(Path.Combine(_dataDirectory, ".clean-shutdown")), "no clean-shutdown marker after SIGTERM");
        using var restarted = await BrokerProcess.StartAsync(_dataDirectory);
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = restarted.BootstrapServers, GroupId = "unused" }).Build();
        var high = Enumerable.Range(0, 2).Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition("graceful", p), TimeSpan.FromSeconds(10)).High.Value);
        Assert.Equal(100, high);
    }

    [Fact]
    public async Task KillNineMidProduce_EveryAcknowledgedMessageSurvives_AndOffsetsHaveNoHolesOrRepeats()
    {
        const int AcknowledgedBeforeKill = 5000;
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var enoughAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int port;
        using (var broker = await BrokerProcess.StartAsync(_dataDirectory, null, "log.flush.mode=ack", "num.partitions=3"))
        {
            port = broker.Port;
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            {
                BootstrapServers = broker.BootstrapServers,
                Acks = Acks.All,
                LingerMs = 2,
                MessageTimeoutMs = 5000,
                EnableIdempotence = false,
            }).Build();
            using var stop = new CancellationTokenSource();
            var producing = Task.Run(() =>
            {
                for (var i = 0; !stop.IsCancellationRequested && i < 1_000_000; i++)
                {
                    var id = $"m{i}";
                    try
                    {
                        producer.Produce("crash", new Message<Null, string> { Value = id }, report =>
                        {
                            if (report.Error.Code == ErrorCode.NoError && acknowledged.TryAdd(id, 0) && acknowledged.Count >= AcknowledgedBeforeKill)
                            {
                                enoughAcknowledged.TrySetResult();
                            }
                        });
                    }
                    catch (ProduceException<Null, string>)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            });

            await enoughAcknowledged.Task.WaitAsync(TimeSpan.FromSeconds(60));
            broker.Kill();
            await stop.CancelAsync();
            await producing;
            producer.Flush(TimeSpan.FromSeconds(6));
        }

        var survivors = acknowledged.Keys.ToHashSet();
        using var restarted = await BrokerProcess.StartAsync(_dataDirectory, port);
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = restarted.BootstrapServers, GroupId = "unused", EnableAutoCommit = false }).Build();
        var ends = Enumerable.Range(0, 3).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition("crash", p), TimeSpan.FromSeconds(10)).High.Value).ToArray();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("crash", p, Offset.Beginning)));
        var nextOffset = new long[3];
        var total = ends.Sum();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (long read = 0; read < total; read++)
        {
            var result = consumer.Consume(deadline.Token);
            Assert.Equal(nextOffset[result.Partition.Value], result.Offset.Value);
            nextOffset[result.Partition.Value]++;
            survivors.Remove(result.Message.Value);
        }

        Assert.True(acknowledged.Count >= AcknowledgedBeforeKill);
        Assert.True(survivors.Count == 0, $"{survivors.Count} acknowledged messages are missing after kill -9, e.g. {string.Join(", ", survivors.Take(5))}");
    }
}
