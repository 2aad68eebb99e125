using StackExchange.Redis;

namespace Wharf.LoadGen.Drivers;

/// <summary>
/// Redis Streams through StackExchange.Redis: <c>XADD key * d payload</c> pipelined with 10,000 replies
/// outstanding (each reply is the durable ack at the server's <c>appendfsync</c> level). Read back from the start
/// either with <c>XREAD COUNT n</c> one read at a time (the next needs the previous reply's last id), or, with several
/// reads in flight, pipelined <c>XREADGROUP GROUP g c COUNT n NOACK STREAMS key &gt;</c>: the group's cursor lives in
/// the server, so the client need not wait for a reply before asking for the next entries. Latency runs read on a
/// second connection with <c>XREAD BLOCK</c>.
/// Thread-safety: one caller at a time.
/// </summary>
public sealed class RedisDriver : IBenchDriver
{
    private const int Window = 10_000;

    private readonly ConnectionMultiplexer _writer;
    private readonly ConnectionMultiplexer _reader;
    private readonly int _readCount;
    private readonly int _readsInFlight;

    private RedisDriver(ConnectionMultiplexer writer, ConnectionMultiplexer reader, int readCount, int readsInFlight)
    {
        _writer = writer;
        _reader = reader;
        _readCount = readCount;
        _readsInFlight = readsInFlight;
    }

    public bool SupportsPartitions => false;

    public static async Task<RedisDriver> ConnectAsync(int port, int readCount = 1_000, int readsInFlight = 1)
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{port}");
        options.AbortOnConnectFail = true;
        options.Protocol = RedisProtocol.Resp2;
        options.SyncTimeout = 60_000;
        options.AsyncTimeout = 60_000;
        var writer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        var reader = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        return new RedisDriver(writer, reader, readCount, readsInFlight);
    }

    public Task CreateAsync(string stream, int partitions) => _writer.GetDatabase().KeyDeleteAsync(stream);

    public Task DeleteAsync(string stream) => _writer.GetDatabase().KeyDeleteAsync(stream);

    public async Task ProduceAsync(string stream, long count, byte[] payload, int producers, bool keyed = false)
    {
        var db = _writer.GetDatabase();
        RedisKey key = stream;
        RedisValue value = payload;
        var window = new Queue<Task<RedisValue>>(Window);
        for (long i = 0; i < count; i++)
        {
            window.Enqueue(db.StreamAddAsync(key, "d", value));
            if (window.Count >= Window)
            {
                await window.Dequeue().ConfigureAwait(false);
            }
        }

        await Task.WhenAll(window).ConfigureAwait(false);
    }

    public Task ConsumeAsync(string stream, long count, int partitions) =>
        _readsInFlight > 1 ? ConsumePipelinedAsync(stream, count) : ConsumeOneReadAtATimeAsync(stream, count);

    private async Task ConsumeOneReadAtATimeAsync(string stream, long count)
    {
        var db = _reader.GetDatabase();
        RedisValue position = "0-0";
        long received = 0;
        while (received < count)
        {
            var entries = await db.StreamReadAsync(stream, position, count: _readCount).ConfigureAwait(false);
            if (entries.Length == 0)
            {
                throw new InvalidOperationException($"stream {stream} ended at {received} of {count}");
            }

            foreach (var entry in entries)
            {
                _ = ((byte[]?)entry.Values[0].Value)?.Length;
            }

            received += entries.Length;
            position = entries[^1].Id;
        }
    }

    private async Task ConsumePipelinedAsync(string stream, long count)
    {
        var db = _reader.GetDatabase();
        const string group = "wharf-loadgen";
        await db.StreamCreateConsumerGroupAsync(stream, group, "0-0", createStream: false).ConfigureAwait(false);
        var reads = new Queue<Task<StreamEntry[]>>(_readsInFlight);
        long received = 0;
        while (received < count)
        {
            while (reads.Count < _readsInFlight && received + (long)reads.Count * _readCount < count)
            {
                reads.Enqueue(db.StreamReadGroupAsync(stream, group, "c1", StreamPosition.NewMessages, _readCount, noAck: true));
            }

            var entries = await reads.Dequeue().ConfigureAwait(false);
            if (entries.Length == 0 && reads.Count == 0)
            {
                throw new InvalidOperationException($"stream {stream} ended at {received} of {count}");
            }

            foreach (var entry in entries)
            {
                _ = ((byte[]?)entry.Values[0].Value)?.Length;
            }

            received += entries.Length;
        }

        await Task.WhenAll(reads).ConfigureAwait(false);
    }

    public async Task<long[]> LatencyAsync(string stream, int rate, TimeSpan duration, int size)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var recorder = new LatencyRecorder(total, skipBelow: rate);
        var consumer = Task.Run(() => ReadBlockingAsync(stream, total, recorder));
        var db = _writer.GetDatabase();
        RedisKey key = stream;
        var window = new Queue<Task<RedisValue>>(Window);
        var pacer = new Pacer(rate);
        long sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, pacer.Due);
            for (; sent < due; sent++)
            {
                var payload = new byte[size];
                Probe.WriteStamp(payload, sent);
                window.Enqueue(db.StreamAddAsync(key, "d", payload));
                while (window.Count > 0 && (window.Peek().IsCompleted || window.Count >= Window))
                {
                    await window.Dequeue().ConfigureAwait(false);
                }
            }

            await Task.Delay(1).ConfigureAwait(false);
        }

        await Task.WhenAll(window).ConfigureAwait(false);
        await consumer.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return recorder.Result(sent);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _reader.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>XREAD BLOCK on the reader's own connection (only this loop uses it, so blocking it is harmless).</summary>
    private async Task ReadBlockingAsync(string stream, long count, LatencyRecorder recorder)
    {
        var db = _reader.GetDatabase();
        var position = "0-0";
        var lastProgress = Environment.TickCount64;
        // Done when every sequence arrived (a duplicate must not stand in for a lost message).
        while (recorder.Distinct < count)
        {
            var reply = await db.ExecuteAsync("XREAD", "COUNT", 1000, "BLOCK", 100, "STREAMS", stream, position).ConfigureAwait(false);
            if (reply.IsNull || reply.Length == 0)
            {
                if (Environment.TickCount64 - lastProgress > 30_000)
                {
                    throw recorder.Stalled(count, $"Redis latency reader of {stream}");
                }

                continue;
            }

            // [[key, [[id, [field, value]], ...]]]
            foreach (var entry in (RedisResult[])reply[0][1]!)
            {
                var value = (byte[])entry[1][1]!;
                recorder.Record(Probe.Read(value));
                position = (string)entry[0]!;
            }

            lastProgress = Environment.TickCount64;
        }
    }
}
