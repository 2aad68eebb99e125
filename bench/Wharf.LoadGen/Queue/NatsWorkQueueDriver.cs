using System.Buffers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// NATS JetStream through NATS.Net 3.3.2: per run one stream with <b>work-queue retention</b> (a message is removed
/// once acknowledged), file storage, R1, and one durable pull consumer (<c>workers</c>) with <b>explicit acks</b> that
/// all consumers share, so each message goes to one of them. nats-server 2.9 acknowledges a publish once the message
/// is written to the stream's file, not fsync'd: the file store syncs every 2 minutes (<c>sync_interval</c>, fixed in
/// 2.9; 2.10+ can be set to <c>always</c>, fsync before the ack — not available in Debian's 2.9.10). So NATS is
/// measured at weaker durability than the other systems; the table says so.
/// <para>
/// Producer: <c>PublishAsync</c> with up to <c>publishWindow</c> acks outstanding, every ack checked (the window the
/// <c>compare</c> command measured fastest). Consumers: their own connection each, the shared durable consumer's
/// <c>ConsumeAsync</c> pulling <c>pullMessages</c> at a time and asking for more when <c>pullThreshold</c> are left
/// (batches overlap, as tuned for <c>compare</c>), one <c>AckAsync</c> per message (a +ACK to the message's reply
/// subject, not waited on — like AMQP's basic.ack). <c>MaxAckPending</c> is <c>maxAckPending</c> (the harness sets it
/// well above consumers × pull size), so the server's default of 1,000 does not cap the consumers.
/// </para>
/// Thread-safety: one caller at a time; each consumer runs on its own task.
/// </summary>
public sealed class NatsWorkQueueDriver(int port, int publishWindow, int pullMessages, int pullThreshold, int maxAckPending) : IQueueBenchDriver
{
    private const string ConsumerName = "workers";

    private readonly NatsConnection _connection = Connect(port, "wharf-loadgen");

    public bool SupportsConsume => true;

    private NatsJSContext JetStream => new(_connection);

    public async Task CreateQueueAsync(string queue, CancellationToken cancellationToken)
    {
        var js = JetStream;
        await js.CreateStreamAsync(new StreamConfig(queue, [$"{queue}.>"]) { Storage = StreamConfigStorage.File, NumReplicas = 1, Retention = StreamConfigRetention.Workqueue }, cancellationToken).ConfigureAwait(false);
        await js.CreateOrUpdateConsumerAsync(queue, new ConsumerConfig(ConsumerName) { AckPolicy = ConsumerConfigAckPolicy.Explicit, MaxAckPending = maxAckPending, AckWait = TimeSpan.FromMinutes(2) }, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteQueueAsync(string queue, CancellationToken cancellationToken) =>
        await JetStream.DeleteStreamAsync(queue, cancellationToken).ConfigureAwait(false);

    public async Task<long> LeftInQueueAsync(string queue, CancellationToken cancellationToken)
    {
        // Acks are not waited on, so the server may still be applying the last ones: give it a moment to reach zero.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var stream = await JetStream.GetStreamAsync(queue, cancellationToken: cancellationToken).ConfigureAwait(false);
            var left = (long)stream.Info.State.Messages;
            if (left == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task ProduceAsync(string queue, long count, int size, long runTag, CancellationToken cancellationToken)
    {
        var js = JetStream;
        var subject = $"{queue}.jobs";
        var ring = QueueMessage.Ring(publishWindow + 1, size);
        var outstanding = new Queue<ValueTask<PubAckResponse>>(publishWindow);
        for (long i = 0; i < count; i++)
        {
            while (outstanding.Count >= publishWindow)
            {
                (await outstanding.Dequeue().ConfigureAwait(false)).EnsureSuccess();
            }

            var payload = ring[i % ring.Length];
            QueueMessage.Stamp(payload, i, runTag);
            outstanding.Enqueue(js.PublishAsync(subject, payload, cancellationToken: cancellationToken));
        }

        while (outstanding.Count > 0)
        {
            (await outstanding.Dequeue().ConfigureAwait(false)).EnsureSuccess();
        }
    }

    public async Task<IQueueConsumers> ConnectConsumersAsync(string queue, int consumers, CancellationToken cancellationToken)
    {
        var connected = new Consumers(pullMessages, pullThreshold);
        try
        {
            for (var index = 0; index < consumers; index++)
            {
                var connection = Connect(port, $"wharf-loadgen-consumer-{index}");
                connected.Connections.Add(connection);
                connected.Handles.Add(await new NatsJSContext(connection).GetConsumerAsync(queue, ConsumerName, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            await connected.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connected;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static NatsConnection Connect(int port, string name) => new(new NatsOpts { Url = $"nats://127.0.0.1:{port}", Name = name });

    /// <summary>One connection and handle on the shared durable consumer per consumer; pulls start in <see cref="ConsumeAsync"/>.</summary>
    private sealed class Consumers(int pullMessages, int pullThreshold) : IQueueConsumers
    {
        public List<NatsConnection> Connections { get; } = [];

        public List<INatsJSConsumer> Handles { get; } = [];

        public async Task ConsumeAsync(QueueTally tally, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var consumers = Handles.Select((handle, index) => Task.Run(() => ConsumeOneAsync(handle, index, tally, stop.Token), CancellationToken.None)).ToList();
            try
            {
                // Done when every message arrived — or when a consumer failed, which WhenAny surfaces at once.
                await (await Task.WhenAny(consumers.Append(tally.Completion)).ConfigureAwait(false)).ConfigureAwait(false);
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(consumers).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in Connections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        private async Task ConsumeOneAsync(INatsJSConsumer handle, int index, QueueTally tally, CancellationToken stop)
        {
            try
            {
                var options = new NatsJSConsumeOpts { MaxMsgs = pullMessages, ThresholdMsgs = pullThreshold };
                await foreach (var message in handle.ConsumeAsync(new SequenceDeserializer(tally.RunTag), options, stop).ConfigureAwait(false))
                {
                    tally.Record(index, message.Data);
                    await message.AckAsync(cancellationToken: stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Reads a message's sequence (−1 if foreign) from its first 16 bytes, without copying the payload.</summary>
    private sealed class SequenceDeserializer(long runTag) : INatsDeserialize<long>
    {
        public long Deserialize(in ReadOnlySequence<byte> buffer)
        {
            if (buffer.Length < QueueMessage.HeaderBytes)
            {
                return -1;
            }

            Span<byte> head = stackalloc byte[QueueMessage.HeaderBytes];
            buffer.Slice(0, QueueMessage.HeaderBytes).CopyTo(head);
            return QueueMessage.SequenceOf(head, runTag);
        }
    }
}
