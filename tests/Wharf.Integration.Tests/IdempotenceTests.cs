using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Testing;
using ErrorCode = Wharf.Common.ErrorCode;

namespace Wharf.Integration.Tests;

/// <summary>
/// Idempotent producers end to end: InitProducerId and the sequence rules on the wire, Confluent.Kafka
/// (librdkafka 2.16, <c>enable.idempotence=true</c>, 5 requests in flight) through a proxy that resets connections
/// so responses are lost and batches retried, and across kill -9 of the real broker process. Every history is
/// checked per partition for lost, duplicated and reordered messages; all must be 0.
/// </summary>
public sealed class IdempotenceTests : IDisposable
{
    private const int Partitions = 3;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "wharf-idempotence-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task RawProduce_ARetriedBatchGetsItsOriginalOffset_GapsAndOldEpochsAreRefused()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("raw", 1);
        await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
        await connection.SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60_000 }, 4);
        var init = await connection.ReceiveAsync<InitProducerIdResponse>(4);
        Assert.Equal((short)ErrorCode.None, init.ErrorCode);
        Assert.Equal(0, init.ProducerEpoch);

        async Task<(ErrorCode Error, long BaseOffset)> ProduceAsync(short epoch, int sequence, int records)
        {
            var builder = new RecordBatchBuilder { ProducerId = init.ProducerId, ProducerEpoch = epoch, BaseSequence = sequence };
            for (var i = 0; i < records; i++)
            {
                builder.Append(1000 + i, null, Encoding.UTF8.GetBytes($"{sequence + i}"));
            }

            await connection.SendAsync(new ProduceRequest { Acks = -1, TimeoutMs = 5000, TopicData = [new() { Name = "raw", PartitionData = [new() { Index = 0, Records = new ReadOnlySequence<byte>(builder.ToArray()) }] }] }, 9);
            var partition = (await connection.ReceiveAsync<ProduceResponse>(9)).Responses[0].PartitionResponses[0];
            return ((ErrorCode)partition.ErrorCode, partition.BaseOffset);
        }

        Assert.Equal((ErrorCode.None, 0L), await ProduceAsync(0, 0, 3));
        Assert.Equal((ErrorCode.None, 3L), await ProduceAsync(0, 3, 2));
        Assert.Equal((ErrorCode.None, 0L), await ProduceAsync(0, 0, 3));
        Assert.Equal((ErrorCode.None, 3L), await ProduceAsync(0, 3, 2));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await ProduceAsync(0, 7, 1)).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, (await ProduceAsync(1, 5, 1)).Error);
        Assert.Equal((ErrorCode.None, 5L), await ProduceAsync(1, 0, 1));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, (await ProduceAsync(0, 5, 1)).Error);

        // Only the five accepted batches (6 records) are in the log.
        await connection.SendAsync(new ListOffsetsRequest { ReplicaId = -1, Topics = [new() { Name = "raw", Partitions = [new() { PartitionIndex = 0, Timestamp = -1 }] }] }, 5);
        Assert.Equal(6, (await connection.ReceiveAsync<ListOffsetsResponse>(5)).Topics[0].Partitions[0].Offset);
    }

    [Fact]
    public async Task InitProducerId_GivesDistinctIds_NeverRepeatedAfterARestart_TransactionalIdsKeepTheirIdAndBumpTheEpoch()
    {
        var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.dirs"] = _dataDirectory });
        var seen = new HashSet<long>();
        try
        {
            for (var round = 0; round < 2; round++)
            {
                await using (var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers))
                {
                    for (var i = 0; i < 3; i++)
                    {
                        await connection.SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60_000, ProducerId = 5, ProducerEpoch = 7 }, 4);
                        var response = await connection.ReceiveAsync<InitProducerIdResponse>(4);
                        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
                        Assert.Equal(0, response.ProducerEpoch);
                        Assert.True(seen.Add(response.ProducerId), $"producer id {response.ProducerId} was handed out twice");
                    }

                    await connection.SendAsync(new InitProducerIdRequest { TransactionalId = "txn-1", TransactionTimeoutMs = 60_000 }, 4);
                    var transactional = await connection.ReceiveAsync<InitProducerIdResponse>(4);
                    Assert.Equal((short)ErrorCode.None, transactional.ErrorCode);
                    Assert.Equal(round, transactional.ProducerEpoch); // the id keeps its producer id; each InitProducerId bumps the epoch
                    Assert.True(round == 1 || seen.Add(transactional.ProducerId), $"producer id {transactional.ProducerId} was handed out twice");
                }

                await broker.RestartAsync();
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }

        Assert.Equal(7, seen.Count);
    }

    [Fact]
    public async Task IdempotentProducer_FiveInFlight_ProducesInOrderWithoutDuplicates()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("idempotent", Partitions);
        var acknowledged = await ProduceAsync(broker.BootstrapServers, "idempotent", 30_000);
        AssertHistory(broker.BootstrapServers, "idempotent", acknowledged, 30_000);
    }

    [Fact]
    public async Task IdempotentProducer_ThroughAProxyThatResetsConnections_NoDuplicatesNoReordering()
    {
        var seed = Environment.TickCount;
        await using var proxy = new FaultInjectingProxy(seed) { Probability = 0.03, MaxFaults = 25, FaultUntil = DateTime.UtcNow.AddSeconds(40), AlwaysFaultSelected = 3 };
        var brokerPort = FreePort();
        proxy.Target = $"127.0.0.1:{brokerPort}";
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string>
        {
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{brokerPort}",
            ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{proxy.Port}",
        });
        await broker.CreateTopicAsync("proxied", Partitions);

        var bootstrap = $"127.0.0.1:{proxy.Port}";
        var acknowledged = await ProduceAsync(bootstrap, "proxied", 40_000, linger: 1);
        var context = $"seed {seed}: {proxy.Faults} connection resets, {proxy.DroppedResponses} responses dropped";
        Assert.True(proxy.Faults > 0, $"no faults were injected ({context})");
        AssertHistory(broker.BootstrapServers, "proxied", acknowledged, 40_000, context);
    }

    [Fact]
    public async Task IdempotentProducer_KillNineOfTheBrokerMidProduce_RestartAndContinue_NoDuplicatesAmongAcknowledged()
    {
        // Total is far above BeforeKill so the kill always lands mid-produce, however fast the broker acknowledges.
        const int BeforeKill = 4000;
        const int Total = 60_000;
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var failures = new ConcurrentDictionary<string, int>();
        var fatal = new ConcurrentQueue<string>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var broker = await BrokerProcess.StartAsync(_dataDirectory, null, "log.flush.mode=ack", $"num.partitions={Partitions}");
        var port = broker.Port;
        var first = broker;
        try
        {
            using var producer = NewProducer(broker.BootstrapServers, fatal, linger: 2);
            var producing = Task.Run(() =>
            {
                for (var k = 0; k < Total; k++)
                {
                    var value = $"{k % Partitions}:{k / Partitions}";
                    while (true)
                    {
                        try
                        {
                            producer.Produce(new TopicPartition("crash-idempotent", k % Partitions), new Message<Null, string> { Value = value }, report =>
                            {
                                if (report.Error.Code != Confluent.Kafka.ErrorCode.NoError)
                                {
                                    failures.AddOrUpdate(report.Error.Reason, 1, (_, n) => n + 1);
                                }
                                else if (acknowledged.TryAdd(report.Message.Value, 0) && acknowledged.Count >= BeforeKill && !enough.Task.IsCompleted)
                                {
                                    // Killed right here, on the delivery thread: a fast broker acknowledges the rest of
                                    // the queue before a waiting test thread would get to the kill.
                                    first.Kill();
                                    enough.TrySetResult();
                                }
                            });
                            break;
                        }
                        catch (ProduceException<Null, string> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                        {
                            producer.Poll(TimeSpan.FromMilliseconds(10));
                        }
                    }
                }
            });

            await enough.Task.WaitAsync(TimeSpan.FromSeconds(90));
            var atKill = acknowledged.Count;
            broker.Dispose();
            broker = await BrokerProcess.StartAsync(_dataDirectory, port);
            await producing.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(120)));
            Assert.True(fatal.IsEmpty, $"producer errors: {string.Join("; ", fatal.Take(5))}");
            Assert.True(acknowledged.Count > atKill, $"nothing was acknowledged after the restart ({atKill} before the kill; failed deliveries: {string.Join("; ", failures.Select(f => $"{f.Value}× {f.Key}"))})");
            AssertHistory(broker.BootstrapServers, "crash-idempotent", acknowledged.Keys, Total, $"{atKill} acknowledged before kill -9");
        }
        finally
        {
            broker.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static IProducer<Null, string> NewProducer(string bootstrap, ConcurrentQueue<string> errors, int linger) =>
        new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            LingerMs = linger,
            BatchNumMessages = 200,
            MessageTimeoutMs = 180_000,
            RetryBackoffMs = 50,
            SocketConnectionSetupTimeoutMs = 3000,
        }).SetErrorHandler((_, error) =>
        {
            if (error.IsFatal)
            {
                errors.Enqueue($"FATAL {error.Code}: {error.Reason}");
            }
        }).Build();

    /// <summary>Produces <paramref name="count"/> messages round-robin over the partitions; value <c>partition:index</c>. Returns the acknowledged values.</summary>
    private static async Task<HashSet<string>> ProduceAsync(string bootstrap, string topic, int count, int linger = 5)
    {
        var fatal = new ConcurrentQueue<string>();
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var failed = new ConcurrentQueue<string>();
        using (var producer = NewProducer(bootstrap, fatal, linger))
        {
            await Task.Run(() =>
            {
                for (var k = 0; k < count; k++)
                {
                    var message = new Message<Null, string> { Value = $"{k % Partitions}:{k / Partitions}" };
                    while (true)
                    {
                        try
                        {
                            producer.Produce(new TopicPartition(topic, k % Partitions), message, report =>
                            {
                                if (report.Error.Code == Confluent.Kafka.ErrorCode.NoError)
                                {
                                    acknowledged.TryAdd(report.Message.Value, 0);
                                }
                                else
                                {
                                    failed.Enqueue($"{report.Message.Value}: {report.Error.Code} {report.Error.Reason}");
                                }
                            });
                            break;
                        }
                        catch (ProduceException<Null, string> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                        {
                            producer.Poll(TimeSpan.FromMilliseconds(10));
                        }
                    }
                }
            });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(120)));
        }

        Assert.True(fatal.IsEmpty && failed.IsEmpty, $"producer errors: {string.Join("; ", fatal.Concat(failed).Take(5))}");
        return [.. acknowledged.Keys];
    }

    /// <summary>
    /// Reads every partition from the start to its end and checks the history: each partition holds
    /// <c>p:0, p:1, …</c> in order (no reordering), no value twice (no duplicates), every acknowledged value present
    /// (nothing lost) and exactly <paramref name="expected"/> messages in all.
    /// </summary>
    private static void AssertHistory(string bootstrap, string topic, IEnumerable<string> acknowledged, int expected, string? context = null)
    {
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "history-check", EnableAutoCommit = false }).Build();
        var ends = Enumerable.Range(0, Partitions).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value).ToArray();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var seen = new HashSet<string>();
        var next = new int[Partitions];
        int duplicates = 0, reordered = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        for (long read = 0; read < ends.Sum(); read++)
        {
            var result = consumer.Consume(deadline.Token);
            var parts = result.Message.Value.Split(':');
            var partition = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(result.Partition.Value, partition);
            if (!seen.Add(result.Message.Value))
            {
                duplicates++;
            }
            else if (index != next[partition])
            {
                reordered++;
            }

            next[partition] = Math.Max(next[partition], index + 1);
        }

        var lost = acknowledged.Count(v => !seen.Contains(v));
        var summary = $"lost {lost}, duplicated {duplicates}, reordered {reordered}, read {seen.Count} of {expected}{(context is null ? "" : $" ({context})")}";
        Assert.True(lost == 0 && duplicates == 0 && reordered == 0 && seen.Count == expected, summary);
    }
}
