using System.Buffers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Wharf.LoadGen.Drivers;

/// <summary>
/// NATS JetStream through NATS.Net: one file-store stream (R1) per run; publishes with a sliding window of 1,000
/// un-acknowledged <c>PublishAsync</c> calls (each ack checked), reads back with an ordered consumer that pulls
/// <c>pullMessages</c> at a time and sends the next pull when <c>pullThreshold</c> are left unread (0: the client's
/// default, half), so pulls overlap. The publish window is the one that measured fastest on this machine
/// (machine-and-peers.md §3); the pull settings are tuned in docs/benchmarks.md.
/// Thread-safety: one caller at a time.
/// </summary>
public sealed class NatsDriver(int port, int pullMessages = 1_000, int pullThreshold = 0) : IBenchDriver
{
    private const int Window = 1_000;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    private readonly NatsConnection _connection = new(new NatsOpts { Url = $"nats://127.0.0.1:{port}", Name = "wharf-loadgen" });
    private readonly ProbeDeserializer _deserializer = new();

    public bool SupportsPartitions => false;

    private NatsJSContext JetStream => new(_connection);

    public async Task CreateAsync(string stream, int partitions) =>
        await JetStream.CreateStreamAsync(new StreamConfig(stream, [$"{stream}.>"]) { Storage = StreamConfigStorage.File, NumReplicas = 1 }).ConfigureAwait(false);

    public async Task DeleteAsync(string stream) => await JetStream.DeleteStreamAsync(stream).ConfigureAwait(false);

    public async Task ProduceAsync(string stream, long count, byte[] payload, int producers, bool keyed = false)
    {
        var js = JetStream;
        var subject = $"{stream}.data";
        var window = new Queue<ValueTask<PubAckResponse>>(Window);
        for (long i = 0; i < count; i++)
        {
            window.Enqueue(js.PublishAsync(subject, payload));
            if (window.Count >= Window)
            {
                (await window.Dequeue().ConfigureAwait(false)).EnsureSuccess();
            }
        }

        while (window.Count > 0)
        {
            (await window.Dequeue().ConfigureAwait(false)).EnsureSuccess();
        }
    }

    public async Task ConsumeAsync(string stream, long count, int partitions) => await ConsumeAllAsync(stream, count, null).ConfigureAwait(false);

    public async Task<long[]> LatencyAsync(string stream, int rate, TimeSpan duration, int size)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var recorder = new LatencyRecorder(total, skipBelow: rate);
        var consumer = ConsumeAllAsync(stream, total, recorder);
        var js = JetStream;
        var subject = $"{stream}.data";
        var window = new Queue<ValueTask<PubAckResponse>>(Window);
        var pacer = new Pacer(rate);
        long sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, pacer.Due);
            for (; sent < due; sent++)
            {
                // NATS.Net copies the payload into its write buffer before PublishAsync returns, but a fresh
                // array per message keeps that assumption out of the measurement.
                var payload = new byte[size];
                Probe.WriteStamp(payload, sent);
                window.Enqueue(js.PublishAsync(subject, payload));
                while (window.Count > 0 && (window.Peek().IsCompleted || window.Count >= Window))
                {
                    (await window.Dequeue().ConfigureAwait(false)).EnsureSuccess();
                }
            }

            await Task.Delay(1).ConfigureAwait(false);
        }

        while (window.Count > 0)
        {
            (await window.Dequeue().ConfigureAwait(false)).EnsureSuccess();
        }

        await consumer.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return recorder.Result(sent);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private async Task ConsumeAllAsync(string stream, long count, LatencyRecorder? recorder)
    {
        var consumer = await JetStream.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All }).ConfigureAwait(false);
        long received = 0;
        using var stall = new CancellationTokenSource(StallTimeout);
        try
        {
            await foreach (var message in consumer.ConsumeAsync(_deserializer, ConsumeOptions, stall.Token).ConfigureAwait(false))
            {
                stall.CancelAfter(StallTimeout);
                received++;
                recorder?.Record(message.Data);

                // With a recorder, done when every sequence arrived (a duplicate must not stand in for a lost one).
                if ((recorder?.Distinct ?? received) >= count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested)
        {
            throw recorder?.Stalled(count, $"NATS consumer of {stream}") ?? new TimeoutException($"NATS consumer of {stream} stalled at {received} of {count}");
        }
    }

    private NatsJSConsumeOpts ConsumeOptions => pullThreshold > 0
        ? new NatsJSConsumeOpts { MaxMsgs = pullMessages, ThresholdMsgs = pullThreshold }
        : new NatsJSConsumeOpts { MaxMsgs = pullMessages };

    private sealed class ProbeDeserializer : INatsDeserialize<Probe>
    {
        public Probe Deserialize(in ReadOnlySequence<byte> buffer)
        {
            Span<byte> head = stackalloc byte[16];
            var length = (int)buffer.Length;
            if (length < 16)
            {
                return new Probe(length, 0, 0);
            }

            buffer.Slice(0, 16).CopyTo(head);
            return Probe.Read(head) with { Length = length };
        }
    }
}
