using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Client;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// Wharf as a queue: a topic (<c>partitions</c> partitions, RF 1) that a <b>share group</b> (KIP-932) consumes, on a
/// broker started with <c>log.flush.mode=ack</c> (group-commit fsync before the produce response; the share group's
/// acknowledgements are written to <c>__share_group_state</c> and fsync'd before they are answered).
/// <para>
/// Produce: Confluent.Kafka 2.16 (librdkafka), the <c>compare</c> command's producer settings — <c>acks=all</c>,
/// <c>linger.ms=5</c>, <c>batch.size=1000000</c>, no compression, 128 MiB in flight, delivery reports with status only,
/// every one checked. librdkafka copies the value inside <c>Produce</c>, so one buffer is re-stamped for every message.
/// </para>
/// <para>
/// Consume: <c>Wharf.Client</c>'s <see cref="ShareConsumer"/> (librdkafka 2.16's share consumer), one per consumer on
/// its own thread, all in the queue's own share group (<c>QUEUE-workers</c>, so every run starts from a fresh group),
/// explicit acknowledgement: every record is tallied and then acknowledged alone with <see cref="AcknowledgeType.Accept"/>.
/// The acknowledgements of a batch go in a ShareAcknowledge sent by <c>CommitAsync</c> right after the batch
/// (<see cref="WharfCommit.Async"/>, the default) or travel on the consumer's next ShareFetch
/// (<see cref="WharfCommit.NextFetch"/>). When every message has arrived each consumer does a <c>CommitSync</c> and fails
/// the phase unless the broker accepted every partition's acknowledgements. Because messages are produced before any
/// consumer joins, and a share group starts at the log end by default, <see cref="CreateQueueAsync"/> sets the group's
/// <c>share.auto.offset.reset</c> to <c>earliest</c> first. <c>max.poll.records</c> and <c>fetch.max.bytes</c> come
/// from the options (<see cref="QueueOptions"/> says why 2,000 and 2 MiB).
/// </para>
/// <para>
/// Why not <see cref="WharfCommit.NextFetch"/> by default: Wharf answers a partition that had only acknowledgements in a
/// ShareFetch (nothing acquired) with null Records, which librdkafka 2.16 refuses ("invalid MessageSetSize -1") and then
/// drops the <i>whole</i> response. The broker has applied the acknowledgements, so with one partition nothing is lost;
/// but with more, the records acquired for the other partitions of that response never reach the consumer and come back
/// only when their locks expire (30 s): 664 msg/s at 4 partitions. <c>CommitAsync</c> keeps acknowledgements out of
/// ShareFetch, so no response has such a partition.
/// </para>
/// Thread-safety: one caller at a time; each consumer is used only by its own thread.
/// </summary>
public sealed class WharfShareGroupDriver(string bootstrapServers, int partitions, int maxPollRecords, int fetchMaxBytes, WharfCommit commit) : IQueueBenchDriver
{
    /// <summary>
    /// How long one <c>Consume</c> waits for records. The share consumer has no wakeup, so a consumer that finds the
    /// queue empty near the end holds the phase open for up to this long after the last message arrived.
    /// </summary>
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(20);

    public bool SupportsConsume => true;

    public static string GroupOf(string queue) => queue + "-workers";

    public async Task CreateQueueAsync(string queue, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = queue, NumPartitions = partitions, ReplicationFactor = 1 }]).WaitAsync(cancellationToken).ConfigureAwait(false);

        // The messages are produced before any consumer joins, and a new share group starts at the log end.
        var group = new ConfigResource { Type = ResourceType.Group, Name = GroupOf(queue) };
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [group] = [new ConfigEntry { Name = "share.auto.offset.reset", Value = "earliest", IncrementalOperation = AlterConfigOpType.Set }],
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        await admin.DeleteTopicsAsync([queue]).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task ProduceAsync(string queue, long count, int size, long runTag, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Produce(queue, count, size, runTag, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public Task<IQueueConsumers> ConnectConsumersAsync(string queue, int consumers, CancellationToken cancellationToken)
    {
        // Creating and subscribing a share consumer only configures it: it joins the group (ShareGroupHeartbeat) and
        // fetches from its first Consume, inside the timed phase, as the other systems' first pull or basic.consume.
        var connected = new Consumers(commit);
        try
        {
            for (var index = 0; index < consumers; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var config = new ShareConsumerConfig
                {
                    BootstrapServers = bootstrapServers,
                    GroupId = GroupOf(queue),
                    ClientId = $"wharf-loadgen-consumer-{index}",
                    AcknowledgementMode = ShareAcknowledgementMode.Explicit,
                    MaxPollRecords = maxPollRecords,
                };
                if (fetchMaxBytes > 0)
                {
                    config.Set("fetch.max.bytes", fetchMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                var consumer = new ShareConsumer(config);
                connected.All.Add(consumer);
                consumer.Subscribe([queue]);
            }
        }
        catch
        {
            connected.Close();
            throw;
        }

        return Task.FromResult<IQueueConsumers>(connected);
    }

    /// <summary>Records not yet acknowledged: the sum of the share group's lag over the topic's partitions
    /// (DescribeShareGroupOffsets v1, which Confluent.Kafka 2.16 does not have; see <see cref="ShareGroupLag"/>).</summary>
    public Task<long> LeftInQueueAsync(string queue, CancellationToken cancellationToken) =>
        ShareGroupLag.SumAsync(bootstrapServers, GroupOf(queue), queue, partitions, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Produce(string queue, long count, int size, long runTag, CancellationToken cancellationToken)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            LingerMs = 5,
            BatchSize = 1_000_000,
            CompressionType = CompressionType.None,
            EnableIdempotence = false,
            QueueBufferingMaxKbytes = 128 * 1024,
            QueueBufferingMaxMessages = 1_000_000,
            DeliveryReportFields = "status",
        };
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        long delivered = 0;
        long failed = 0;
        string? firstError = null;
        void OnDelivery(DeliveryReport<Null, byte[]> report)
        {
            if (report.Error.IsError)
            {
                firstError ??= report.Error.Reason;
                Interlocked.Increment(ref failed);
            }
            else
            {
                Interlocked.Increment(ref delivered);
            }
        }

        var payload = QueueMessage.Ring(1, size)[0];
        var message = new Message<Null, byte[]> { Value = payload };
        for (long i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            QueueMessage.Stamp(payload, i, runTag);
            while (true)
            {
                try
                {
                    producer.Produce(queue, message, OnDelivery);
                    break;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(2));
                }
            }
        }

        producer.Flush(cancellationToken);
        if (failed > 0 || Interlocked.Read(ref delivered) != count)
        {
            throw new InvalidOperationException($"produce failed: {delivered} of {count} acknowledged, {failed} failed ({firstError})");
        }
    }

    /// <summary>
    /// The share consumers of one consume phase. Each runs on its own long-running task, because a
    /// <see cref="ShareConsumer"/> blocks its thread in <c>Consume</c> and must not be used by two threads at once.
    /// </summary>
    private sealed class Consumers(WharfCommit commit) : IQueueConsumers
    {
        private static readonly TimeSpan FinalCommitTimeout = TimeSpan.FromSeconds(30);

        public List<ShareConsumer> All { get; } = [];

        public async Task ConsumeAsync(QueueTally tally, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var running = All.Select((consumer, index) => Task.Factory.StartNew(
                () => ConsumeOne(consumer, index, tally, stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
            try
            {
                // Done when every message arrived — or when a consumer failed, which WhenAny surfaces at once.
                await (await Task.WhenAny(running.Append(tally.Completion)).ConfigureAwait(false)).ConfigureAwait(false);
            }
            finally
            {
                // The consumers stop on their own at completion (after their final commit); cancel only on failure.
                if (!tally.IsComplete)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                }

                await Task.WhenAll(running).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        public ValueTask DisposeAsync()
        {
            Close();
            return ValueTask.CompletedTask;
        }

        public void Close()
        {
            foreach (var consumer in All)
            {
                try
                {
                    consumer.Close();
                }
                finally
                {
                    consumer.Dispose();
                }
            }
        }

        private void ConsumeOne(ShareConsumer consumer, int index, QueueTally tally, CancellationToken stop)
        {
            while (!tally.IsComplete && !stop.IsCancellationRequested)
            {
                var batch = consumer.Consume(PollTimeout);
                foreach (var record in batch)
                {
                    if (record.IsError)
                    {
                        throw new InvalidOperationException($"share consumer {index}: {record}: {record.Error}");
                    }

                    tally.Record(index, record.Value);
                    consumer.Acknowledge(record, AcknowledgeType.Accept);
                }

                if (batch.Count > 0 && commit == WharfCommit.Async)
                {
                    consumer.CommitAsync();
                }
            }

            // Whatever was acknowledged since the last fetch goes now, and the broker must have taken all of it.
            var failed = consumer.CommitSync(FinalCommitTimeout).Where(r => !r.Succeeded).ToList();
            if (failed.Count > 0)
            {
                throw new InvalidOperationException($"share consumer {index}: acknowledgements refused: {string.Join("; ", failed.Select(f => $"{f.Topic}-{f.Partition}: {f.Error}"))}");
            }
        }
    }
}

/// <summary>How a Wharf share consumer sends the acknowledgements of a batch.</summary>
public enum WharfCommit
{
    /// <summary>In a ShareAcknowledge sent by <c>CommitAsync</c> right after each batch, not waited on.</summary>
    Async,

    /// <summary>With the next ShareFetch, which the next <c>Consume</c> sends anyway (librdkafka piggybacks them).</summary>
    NextFetch,
}
