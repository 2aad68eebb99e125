using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// Wharf as a queue: a topic (<c>partitions</c> partitions, RF 1) that a <b>share group</b> (KIP-932) consumes, on a
/// broker started with <c>log.flush.mode=ack</c> (group-commit fsync before the produce response).
/// <para>
/// Produce (works today): Confluent.Kafka 2.16 (librdkafka), the <c>compare</c> command's producer settings —
/// <c>acks=all</c>, <c>linger.ms=5</c>, <c>batch.size=1000000</c>, no compression, 128 MiB in flight, delivery reports
/// with status only, every one checked. librdkafka copies the value inside <c>Produce</c>, so one buffer is re-stamped
/// for every message.
/// </para>
/// <para>
/// Consume: <b>not implemented yet</b> — it needs <c>Wharf.Client</c>'s <c>ShareConsumer</c>, being written on another
/// branch. Until then <see cref="SupportsConsume"/> is false, the harness skips the consume phase and the report prints
/// n/a for the consume targets. See <see cref="ConnectConsumersAsync"/> for what the implementation must do.
/// </para>
/// Thread-safety: one caller at a time.
/// </summary>
public sealed class WharfShareGroupDriver(string bootstrapServers, int partitions) : IQueueBenchDriver
{
    // ============================================================================================================
    // WHARF SHARE CONSUMER: set this to true when ConsumeAsync below is implemented with Wharf.Client's ShareConsumer.
    // ============================================================================================================
    public bool SupportsConsume => false;

    public async Task CreateQueueAsync(string queue, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = queue, NumPartitions = partitions, ReplicationFactor = 1 }]).WaitAsync(cancellationToken).ConfigureAwait(false);

        // WHARF SHARE CONSUMER: the messages are produced before any consumer joins, and a share group starts at the
        // log end by default (share.auto.offset.reset=latest). Before producing, either set the group's
        // share.auto.offset.reset=earliest (IncrementalAlterConfigs on the GROUP resource, as Kafka's
        // kafka-configs --entity-type groups does) or have every consumer join the group here.
    }

    public async Task DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        await admin.DeleteTopicsAsync([queue]).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task ProduceAsync(string queue, long count, int size, long runTag, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Produce(queue, count, size, runTag, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// WHARF SHARE CONSUMER — to implement with <c>Wharf.Client</c> (reference the project from Wharf.LoadGen.csproj):
    /// <list type="number">
    /// <item><see cref="ConnectConsumersAsync"/> (not timed): create <paramref name="consumers"/> <c>ShareConsumer</c>s
    /// bootstrapped with <c>bootstrapServers</c>, all in one group per queue (e.g. <c>queue + "-workers"</c>), each
    /// <c>Subscribe([queue])</c>; return them as an <see cref="IQueueConsumers"/>.</item>
    /// <item>Its <c>ConsumeAsync(tally, token)</c> (timed): one long-running task per consumer, looping until
    /// <see cref="QueueTally.Completion"/> (or the token): <c>Consume(TimeSpan)</c> returns a batch of records; for
    /// each, <c>tally.Record(index, record.Value)</c>, then <c>Acknowledge(record, AcknowledgeType.Accept)</c> — one
    /// acknowledgement per record, as the other systems ack one by one; then <c>CommitAsync()</c> (or
    /// <c>CommitSync()</c>) for the batch, so the acknowledgements reach the broker without waiting for the next
    /// fetch. After completion, <c>CommitSync()</c> on every consumer before returning.</item>
    /// <item>Its <c>DisposeAsync</c>: <c>Close()</c> every consumer.</item>
    /// </list>
    /// Then make <see cref="SupportsConsume"/> true and <see cref="LeftInQueueAsync"/> return the records not yet
    /// acknowledged (e.g. the share group's start offset against the log end offset per partition), or −1 if that
    /// cannot be read yet. The harness does the timing, the CPU accounting and the exactly-once check.
    /// </summary>
    public Task<IQueueConsumers> ConnectConsumersAsync(string queue, int consumers, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the Wharf share-group consumer waits for Wharf.Client's ShareConsumer (see WharfShareGroupDriver)");

    public Task<long> LeftInQueueAsync(string queue, CancellationToken cancellationToken) => Task.FromResult(-1L);

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
}
