using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.LoadGen.Drivers;

/// <summary>
/// Confluent.Kafka (librdkafka 2.16.0) against a Kafka-protocol broker: Wharf, or librdkafka's own in-process mock
/// cluster (<c>test.mock.num.brokers=1</c>), which is the client ceiling — the most this generator can push on
/// this machine (for produce only: the mock keeps just the newest few MB of a partition). The mock cluster is owned by an anchor producer created per stream, so its memory is freed when
/// the stream is deleted; the measured clients connect to it over loopback exactly as they connect to Wharf.
/// Producer: acks=all, linger.ms=5, batch.size=1000000, no compression, 128 MiB of messages in flight (linger.ms=1 in latency runs).
/// Consumer: assigned partitions from the beginning, 8 MiB per partition per fetch, a 256 MiB local queue with a
/// 1 ms queue back-off (librdkafka's 1 s default throttles a fast consumer), no group or commits, values only
/// (<c>dotnet.consumer.consume.result.fields=none</c>).
/// Thread-safety: one caller at a time; producers run on their own threads inside <see cref="ProduceAsync"/>.
/// </summary>
public sealed class KafkaDriver : IBenchDriver
{
    private readonly string? _bootstrapServers;
    private readonly bool _clientStatistics;
    private IProducer<Null, byte[]>? _mockAnchor;
    private string _servers;

    /// <param name="bootstrapServers">The broker, or null for librdkafka's mock cluster.</param>
    /// <param name="clientStatistics">Collect librdkafka's statistics during produce and consume phases (<see cref="LastClientStatistics"/>).</param>
    public KafkaDriver(string? bootstrapServers, bool clientStatistics = false)
    {
        _bootstrapServers = bootstrapServers;
        _clientStatistics = clientStatistics;
        _servers = bootstrapServers ?? "";
    }

    private readonly Lock _busyGate = new();
    private double _lastBusy;

    public bool SupportsPartitions => _bootstrapServers is not null;

    public double? LastDrivingThreadBusy => _lastBusy;

    public string? LastClientStatistics { get; private set; }

    public bool SupportsConsume => _bootstrapServers is not null;

    public async Task CreateAsync(string stream, int partitions)
    {
        if (_bootstrapServers is null)
        {
            _mockAnchor?.Dispose();
            var anchorConfig = new ProducerConfig();
            anchorConfig.Set("test.mock.num.brokers", "1");
            _mockAnchor = new ProducerBuilder<Null, byte[]>(anchorConfig).Build();
            using var mockAdmin = new DependentAdminClientBuilder(_mockAnchor.Handle).Build();
            var broker = mockAdmin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Single();
            _servers = $"{broker.Host}:{broker.Port}";

            // The mock cluster has no controller for CreateTopics; it creates a topic on first use.
            return;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _servers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = stream, NumPartitions = partitions, ReplicationFactor = 1 }]).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string stream)
    {
        if (_bootstrapServers is null)
        {
            _mockAnchor?.Dispose();
            _mockAnchor = null;
            return;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _servers }).Build();
        await admin.DeleteTopicsAsync([stream]).ConfigureAwait(false);
    }

    public async Task ProduceAsync(string stream, long count, byte[] payload, int producers, bool keyed = false)
    {
        _lastBusy = 0;
        var share = count / producers;

        // Each producer starts at its own place in the key pool, so they do not send the same key sequence in step.
        var tasks = Enumerable.Range(0, producers)
            .Select(p => Task.Factory.StartNew(() => ProduceOne(stream, p == 0 ? count - share * (producers - 1) : share, payload, keyed ? (long)p * UniformKeys.Count / producers : null), TaskCreationOptions.LongRunning))
            .ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public async Task<string?> PartitionSpreadAsync(string stream)
    {
        if (_bootstrapServers is null)
        {
            return null;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _servers }).Build();
        var topic = admin.GetMetadata(stream, TimeSpan.FromSeconds(10)).Topics.Single();
        var request = topic.Partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(stream, p.PartitionId), OffsetSpec = OffsetSpec.Latest() });
        var offsets = (await admin.ListOffsetsAsync(request).ConfigureAwait(false)).ResultInfos.Select(r => (double)r.TopicPartitionOffsetError.Offset.Value).ToList();
        var mean = offsets.Average();
        return $"{offsets.Count} partitions hold {offsets.Min():N0}–{offsets.Max():N0} messages each (mean {mean:N0}, max/mean {offsets.Max() / mean:0.00})";
    }

    public Task ConsumeAsync(string stream, long count, int partitions)
    {
        _lastBusy = 0;
        return Task.Factory.StartNew(() => ConsumeAll(stream, count, partitions, null), TaskCreationOptions.LongRunning);
    }

    public async Task<long[]> LatencyAsync(string stream, int rate, TimeSpan duration, int size)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var recorder = new LatencyRecorder(total, skipBelow: rate);
        using var stop = new CancellationTokenSource();
        var consumer = Task.Factory.StartNew(() => ConsumeAll(stream, total, 1, recorder), TaskCreationOptions.LongRunning);
        var sent = await Task.Factory.StartNew(() => ProducePaced(stream, total, rate, size), TaskCreationOptions.LongRunning).ConfigureAwait(false);
        await consumer.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return recorder.Result(sent);
    }

    public ValueTask DisposeAsync()
    {
        _mockAnchor?.Dispose();
        return ValueTask.CompletedTask;
    }

    private ProducerConfig ProducerConfig(double lingerMs) => new()
    {
        BootstrapServers = _servers,
        Acks = Acks.All,
        LingerMs = lingerMs,
        BatchSize = 1_000_000,
        CompressionType = CompressionType.None,
        EnableIdempotence = false,
        // 128 MiB in flight is ~250 ms of produce at full speed: enough to keep the broker busy, small enough that
        // librdkafka reuses warm memory for its message copies (with 256 MiB the generator spent ~1.3 µs more per
        // 1 KiB message, ceiling included, touching fresh pages — see docs/benchmarks.md).
        QueueBufferingMaxKbytes = 128 * 1024,
        QueueBufferingMaxMessages = 1_000_000,
        DeliveryReportFields = "status",
    };

    /// <summary>One producer sending <paramref name="count"/> messages: unkeyed when <paramref name="firstKey"/> is null,
    /// else with keys from <see cref="UniformKeys"/> starting at that index.</summary>
    private void ProduceOne(string stream, long count, byte[] payload, long? firstKey)
    {
        var config = ProducerConfig(5);
        var statistics = _clientStatistics ? new ClientStatistics("Produce") : null;
        var builder = new ProducerBuilder<byte[]?, byte[]>(config);
        if (statistics is not null)
        {
            config.StatisticsIntervalMs = 250;
            builder.SetStatisticsHandler((_, json) => statistics.Add(json));
        }

        using var producer = builder.Build();
        var delivery = new DeliveryTracker();
        var message = new Message<byte[]?, byte[]> { Value = payload };
        var busy = new ThreadBusy();
        for (long i = 0; i < count; i++)
        {
            if (firstKey is { } first)
            {
                // Produce copies the key synchronously, so the pool's arrays are shared by every message.
                message.Key = UniformKeys.For(first + i);
            }

            Produce(producer, stream, message, delivery.OnDelivery);
        }

        Finish(producer, delivery, count);
        RecordBusy(busy.Busy());
        LastClientStatistics = statistics?.Summary();
    }

    private long ProducePaced(string stream, long total, int rate, int size)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(ProducerConfig(1)).Build();
        var delivery = new DeliveryTracker();
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var message = new Message<byte[]?, byte[]> { Value = payload };
        var pacer = new Pacer(rate);
        long sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, pacer.Due);
            for (; sent < due; sent++)
            {
                // Produce copies the value synchronously, so one buffer can be re-stamped for every message.
                Probe.WriteStamp(payload, sent);
                Produce(producer, stream, message, delivery.OnDelivery);
            }

            Pacer.Nap();
        }

        Finish(producer, delivery, total);
        return sent;
    }

    private static void Produce(IProducer<byte[]?, byte[]> producer, string stream, Message<byte[]?, byte[]> message, Action<DeliveryReport<byte[]?, byte[]>> onDelivery)
    {
        while (true)
        {
            try
            {
                producer.Produce(stream, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(2));
            }
        }
    }

    private static void Finish(IProducer<byte[]?, byte[]> producer, DeliveryTracker delivery, long count)
    {
        var left = producer.Flush(TimeSpan.FromMinutes(5));
        if (left > 0 || delivery.Failed > 0 || delivery.Delivered != count)
        {
            throw new InvalidOperationException($"produce failed: {delivery.Delivered} of {count} acknowledged, {delivery.Failed} failed ({delivery.FirstError}), {left} still queued");
        }
    }

    private void ConsumeAll(string stream, long count, int partitions, LatencyRecorder? recorder)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _servers,
            GroupId = $"wharf-loadgen-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchMaxBytes = 52_428_800,
            MaxPartitionFetchBytes = 8 * 1024 * 1024,
            FetchWaitMaxMs = 100,
            FetchMinBytes = 1,

            // librdkafka stops fetching while its local queue holds queued.min.messages (100k) or
            // queued.max.messages.kbytes, then waits fetch.queue.backoff.ms (1 s by default) before the next fetch:
            // with the defaults a fast consumer idles most of each second (measured: ~130k msg/s at 100 B and 1 KiB).
            QueuedMinMessages = 2_000_000,
            QueuedMaxMessagesKbytes = 256 * 1024,
            FetchQueueBackoffMs = 1,

            // Value only: the probe in the payload carries the send time; headers, timestamp and topic would be
            // marshalled for every message for nothing (as the producer's delivery reports carry status only).
            ConsumeResultFields = "none",
        };
        var statistics = _clientStatistics && recorder is null ? new ClientStatistics("Fetch") : null;
        var builder = new ConsumerBuilder<Ignore, Probe>(config).SetValueDeserializer(new ProbeDeserializer());
        if (statistics is not null)
        {
            config.StatisticsIntervalMs = 250;
            builder.SetStatisticsHandler((_, json) => statistics.Add(json));
        }

        using var consumer = builder.Build();

        // Every partition the topic has: the mock cluster creates topics on first use with several partitions.
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var topic = admin.GetMetadata(stream, TimeSpan.FromSeconds(10)).Topics.Single();
            partitions = Math.Max(partitions, topic.Partitions.Count);
        }

        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(stream, p, Offset.Beginning)));
        var busy = new ThreadBusy();
        long received = 0;
        var lastProgress = Environment.TickCount64;
        // With a recorder, done when every sequence arrived (a duplicate must not stand in for a lost message).
        while ((recorder?.Distinct ?? received) < count)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result?.Message is { } message)
            {
                received++;
                recorder?.Record(message.Value);
                lastProgress = Environment.TickCount64;
            }
            else if (Environment.TickCount64 - lastProgress > 30_000)
            {
                throw recorder?.Stalled(count, $"Kafka consumer of {stream}") ?? new TimeoutException($"consumer stalled at {received} of {count}");
            }
        }

        RecordBusy(busy.Busy());
        consumer.Close();
        LastClientStatistics = statistics?.Summary();
    }

    private void RecordBusy(double busy)
    {
        lock (_busyGate)
        {
            _lastBusy = Math.Max(_lastBusy, busy);
        }
    }

    private sealed class ProbeDeserializer : IDeserializer<Probe>
    {
        public Probe Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => Probe.Read(data);
    }

    private sealed class DeliveryTracker
    {
        private long _delivered;
        private long _failed;

        public long Delivered => Interlocked.Read(ref _delivered);

        public long Failed => Interlocked.Read(ref _failed);

        public string? FirstError { get; private set; }

        public void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
        {
            if (report.Error.IsError)
            {
                FirstError ??= report.Error.Reason;
                Interlocked.Increment(ref _failed);
            }
            else
            {
                Interlocked.Increment(ref _delivered);
            }
        }
    }
}
