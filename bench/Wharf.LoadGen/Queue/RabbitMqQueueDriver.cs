using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// RabbitMQ through RabbitMQ.Client 7.2.2 (AMQP 0-9-1), one durable queue per run, either a <b>quorum</b> queue
/// (<c>x-queue-type=quorum</c>: Raft log, one member here; a publish is confirmed once its WAL entry is fsync'd) or a
/// <b>classic</b> durable queue (<c>x-queue-version</c> 1, the 3.10 default, or 2; a persistent message is confirmed
/// once the queue's index or message store has fsync'd it, as nothing consumes during the produce phase).
/// <para>
/// Producer: one connection, one channel with publisher confirms tracked by the client
/// (<c>PublisherConfirmationTrackingEnabled</c>: each <c>BasicPublishAsync</c> completes when its own confirm arrives,
/// and throws on a nack or a return); persistent messages (delivery mode 2), <c>mandatory</c>, to the default exchange;
/// up to <c>confirmWindow</c> publishes unconfirmed at a time, awaited oldest first. The client's own throttle is off
/// (it would add delays from half its limit on): the window is the limit.
/// </para>
/// <para>
/// Consumers: one connection and channel each, <c>basic.qos</c> prefetch of <c>prefetch</c> per consumer, manual
/// acknowledgement, one <c>basic.ack</c> (multiple=false) per message, sent from the delivery handler after the
/// message is recorded.
/// </para>
/// Thread-safety: one caller at a time; consumer callbacks run on the client's dispatcher, one at a time per channel.
/// </summary>
public sealed class RabbitMqQueueDriver(int port, bool quorum, int confirmWindow, ushort prefetch, int classicVersion = 1) : IQueueBenchDriver
{
    private readonly ConnectionFactory _factory = new()
    {
        HostName = "127.0.0.1",
        Port = port,
        UserName = "guest",
        Password = "guest",
        ClientProvidedName = "wharf-loadgen",
    };

    private IConnection? _admin;

    public bool SupportsConsume => true;

    public async Task CreateQueueAsync(string queue, CancellationToken cancellationToken)
    {
        await using var channel = await AdminChannelAsync(cancellationToken).ConfigureAwait(false);
        var arguments = quorum
            ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }
            : new Dictionary<string, object?> { ["x-queue-type"] = "classic", ["x-queue-version"] = classicVersion };
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        await using var channel = await AdminChannelAsync(cancellationToken).ConfigureAwait(false);
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> LeftInQueueAsync(string queue, CancellationToken cancellationToken)
    {
        // With every consumer's channel closed, unacknowledged messages would be back in the queue: this counts both.
        await using var channel = await AdminChannelAsync(cancellationToken).ConfigureAwait(false);
        var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
        return declared.MessageCount;
    }

    public async Task ProduceAsync(string queue, long count, int size, long runTag, CancellationToken cancellationToken)
    {
        await using var connection = await _factory.CreateConnectionAsync("wharf-loadgen-producer", cancellationToken).ConfigureAwait(false);
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null);
        await using var channel = await connection.CreateChannelAsync(options, cancellationToken).ConfigureAwait(false);
        var properties = new BasicProperties { Persistent = true };
        var exchange = new CachedString("");
        var routingKey = new CachedString(queue);

        // The client may serialise a publish after BasicPublishAsync returns, so a buffer is re-stamped only once the
        // publish that used it is confirmed: window + 1 buffers for at most window publishes outstanding.
        var ring = QueueMessage.Ring(confirmWindow + 1, size);
        var outstanding = new Queue<ValueTask>(confirmWindow);
        for (long i = 0; i < count; i++)
        {
            while (outstanding.Count >= confirmWindow)
            {
                await outstanding.Dequeue().ConfigureAwait(false);
            }

            var payload = ring[i % ring.Length];
            QueueMessage.Stamp(payload, i, runTag);
            outstanding.Enqueue(channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, payload, cancellationToken));
        }

        while (outstanding.Count > 0)
        {
            await outstanding.Dequeue().ConfigureAwait(false);
        }

        await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        await connection.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IQueueConsumers> ConnectConsumersAsync(string queue, int consumers, CancellationToken cancellationToken)
    {
        var connected = new Consumers(queue);
        try
        {
            for (var index = 0; index < consumers; index++)
            {
                var connection = await _factory.CreateConnectionAsync($"wharf-loadgen-consumer-{index}", cancellationToken).ConfigureAwait(false);
                connected.Connections.Add(connection);
                var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                connected.Channels.Add(channel);
                await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await connected.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connected;
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<IChannel> AdminChannelAsync(CancellationToken cancellationToken)
    {
        _admin ??= await _factory.CreateConnectionAsync("wharf-loadgen-admin", cancellationToken).ConfigureAwait(false);
        return await _admin.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One connection and channel per consumer; delivery starts with <c>basic.consume</c> in <see cref="ConsumeAsync"/>.</summary>
    private sealed class Consumers(string queue) : IQueueConsumers
    {
        public List<IConnection> Connections { get; } = [];

        public List<IChannel> Channels { get; } = [];

        public async Task ConsumeAsync(QueueTally tally, CancellationToken cancellationToken)
        {
            var tags = new List<string>();
            for (var index = 0; index < Channels.Count; index++)
            {
                var channel = Channels[index];
                var consumer = new AsyncEventingBasicConsumer(channel);
                var consumerIndex = index;
                consumer.ReceivedAsync += async (_, delivery) =>
                {
                    // The body is only valid inside this handler: it is read here, before the ack.
                    tally.Record(consumerIndex, delivery.Body.Span);
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                };
                tags.Add(await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false));
            }

            await tally.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            for (var index = 0; index < Channels.Count; index++)
            {
                await Channels[index].BasicCancelAsync(tags[index], cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            // Closing a channel sends its pending acks first.
            foreach (var channel in Channels)
            {
                await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var channel in Channels)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var connection in Connections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
