using System.Buffers.Binary;
using System.Diagnostics;
using Wharf.Common;
using Wharf.Records;
using Wharf.Storage;

// Storage micro-benchmarks (docs/benchmarks.md, "Storage"). Usage: dotnet run -c Release -- [scratch dir] [runs]
var root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "wharf-storage-bench");
var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
var only = args.Length > 2 ? args[2] : null; // run only benchmarks whose name contains this
Console.WriteLine($"scratch {root}, {runs} runs, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

Report("append, interval mode, 16-record batches of 1 KiB records (MB/s)", runs, run => AppendInterval(Fresh(root, run), batchRecords: 16, batchesPerAppend: 1));
Report("append, interval mode, 1 MiB appends of 64 such batches (MB/s)", runs, run => AppendInterval(Fresh(root, run), batchRecords: 16, batchesPerAppend: 64));
Report("append, ack mode, 8 appenders x 8 partitions, 16 KiB batches (MB/s)", runs, run => AppendAck(Fresh(root, run), batchesPerAppend: 1));
Report("append, ack mode, 8 appenders x 8 partitions, 1 MiB appends (MB/s)", runs, run => AppendAck(Fresh(root, run), batchesPerAppend: 64));
Report("read 1 MiB by offset from page cache (GB/s)", runs, run => ReadCached(Fresh(root, run)));
Report("open 10,000 partitions after a clean stop (s)", runs, run => OpenMany(Fresh(root, run), 10_000));
Directory.Delete(root, recursive: true);

static string Fresh(string root, int run)
{
    var directory = Path.Combine(root, $"run{run}-{Guid.NewGuid():N}");
    Directory.CreateDirectory(directory);
    return directory;
}

void Report(string name, int runs, Func<int, (double Value, string Detail)> body)
{
    if (only is not null && !name.Contains(only, StringComparison.Ordinal))
    {
        return;
    }

    body(-1); // warm-up: JIT, page cache, fresh memory
    var results = Enumerable.Range(0, runs).Select(body).ToList();
    var sorted = results.Select(r => r.Value).Order().ToList();
    Console.WriteLine($"{name}: median {sorted[sorted.Count / 2]:F2} (range {sorted[0]:F2}-{sorted[^1]:F2}); {results[runs / 2].Detail}");
}

static byte[] Batch(int records, int valueSize, Random random)
{
    var body = new List<byte>();
    for (var i = 0; i < records; i++)
    {
        var record = new List<byte> { 0 };
        VarLong(record, 0);
        VarLong(record, i);
        VarLong(record, -1);
        VarLong(record, valueSize);
        var value = new byte[valueSize];
        random.NextBytes(value);
        record.AddRange(value);
        VarLong(record, 0);
        VarLong(body, record.Count);
        body.AddRange(record);
    }

    var batch = new byte[61 + body.Count];
    BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - 12);
    batch[16] = 2;
    BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), records - 1);
    BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(27), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(35), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), -1);
    BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(51), -1);
    BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(53), -1);
    BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), records);
    body.CopyTo(batch, 61);
    BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(21)));
    return batch;

    static void VarLong(List<byte> output, long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            output.Add((byte)(raw | 0x80));
            raw >>= 7;
        }

        output.Add((byte)raw);
    }
}

static (double, string) AppendInterval(string directory, int batchRecords, int batchesPerAppend)
{
    const long total = 512L << 20;
    var random = new Random(1);
    var one = Batch(batchRecords, 1024, random);
    var buffer = Enumerable.Repeat(one, batchesPerAppend).SelectMany(b => b).ToArray();
    var environment = new LogEnvironment();
    using var log = Log.Open(Path.Combine(directory, "bench-0"), new TopicPartition("bench", 0), new LogConfig { FlushMode = LogFlushMode.Interval }, environment);
    var stopwatch = Stopwatch.StartNew();
    long written = 0;
    while (written < total)
    {
        log.AppendAsLeader(buffer, 0);
        written += buffer.Length;
    }

    var appendSeconds = stopwatch.Elapsed.TotalSeconds;
    log.Flush();
    var withFlush = stopwatch.Elapsed.TotalSeconds;
    Directory.Delete(directory, recursive: true);
    return (written / appendSeconds / 1e6, $"{written >> 20} MiB in {appendSeconds:F2} s, {written / withFlush / 1e6:F0} MB/s including the final fsync");
}

static (double, string) AppendAck(string directory, int batchesPerAppend)
{
    var fsyncs = 0;
    var environment = new LogEnvironment(fsyncObserver: _ => Interlocked.Increment(ref fsyncs));
    var logs = Enumerable.Range(0, 8).Select(p => Log.Open(Path.Combine(directory, $"ack-{p}"), new TopicPartition("ack", p), new LogConfig(), environment)).ToArray();
    var duration = TimeSpan.FromSeconds(5);
    var latencies = new List<double>[8];
    long bytes = 0, appends = 0;
    var stopwatch = Stopwatch.StartNew();
    var tasks = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
    {
        var one = Batch(16, 1024, new Random(p));
        var buffer = new byte[one.Length * batchesPerAppend];
        for (var b = 0; b < batchesPerAppend; b++)
        {
            one.CopyTo(buffer, b * one.Length);
        }

        var local = latencies[p] = [];
        while (stopwatch.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            await logs[p].AppendAsLeaderAsync(buffer, 0);
            local.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Interlocked.Add(ref bytes, buffer.Length);
            Interlocked.Increment(ref appends);
        }
    })).ToArray();
    Task.WaitAll(tasks);
    var seconds = stopwatch.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToList();
    var rounds = environment.Flusher.Rounds;
    foreach (var log in logs)
    {
        log.Dispose();
    }

    environment.Flusher.Dispose();
    Directory.Delete(directory, recursive: true);
    return (bytes / seconds / 1e6, $"{appends / seconds:F0} appends/s, {fsyncs / seconds:F0} fsyncs/s, {rounds / seconds:F0} flush rounds/s, latency p50 {all[all.Count / 2]:F2} ms p99 {all[(int)(all.Count * 0.99)]:F2} ms");
}

static (double, string) ReadCached(string directory)
{
    var environment = new LogEnvironment();
    using var log = Log.Open(Path.Combine(directory, "read-0"), new TopicPartition("read", 0), new LogConfig { FlushMode = LogFlushMode.Interval }, environment);
    var batch = Batch(16, 1024, new Random(2));
    for (var i = 0; i < 4096; i++)
    {
        log.AppendAsLeader(batch, 0); // 64 MiB
    }

    var destination = new byte[2 << 20];
    var random = new Random(3);
    long bytes = 0, reads = 0;
    var stopwatch = Stopwatch.StartNew();
    while (stopwatch.Elapsed < TimeSpan.FromSeconds(3))
    {
        var offset = random.NextInt64(0, log.LogEndOffset - 2000);
        var slice = log.Read(offset, 1 << 20).Slice;
        bytes += slice.CopyTo(destination);
        reads++;
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    var lookup = Stopwatch.StartNew();
    var lookups = 0;
    while (lookup.Elapsed < TimeSpan.FromSeconds(1))
    {
        _ = log.Read(random.NextInt64(0, log.LogEndOffset - 2000), 1 << 20);
        lookups++;
    }

    Directory.Delete(directory, recursive: true);
    return (bytes / seconds / 1e9, $"{reads / seconds:F0} reads/s of ~1 MiB; offset-to-range lookup alone {lookups / lookup.Elapsed.TotalSeconds:F0}/s");
}

static (double, string) OpenMany(string directory, int partitions)
{
    var batch = Batch(1, 100, new Random(4));
    var create = Stopwatch.StartNew();
    using (var manager = LogManager.Open(new LogManagerOptions { DataDirectory = directory, DefaultConfig = new LogConfig { FlushMode = LogFlushMode.Interval }, EnableBackgroundTasks = false }))
    {
        for (var p = 0; p < partitions; p++)
        {
            manager.GetOrCreateLog(new TopicPartition("many", p)).AppendAsLeader((byte[])batch.Clone(), 0);
        }
    }

    var created = create.Elapsed.TotalSeconds;
    var stopwatch = Stopwatch.StartNew();
    int opened;
    using (var manager = LogManager.Open(new LogManagerOptions { DataDirectory = directory, EnableBackgroundTasks = false }))
    {
        opened = manager.Partitions.Count;
        if (!manager.HadCleanShutdown || opened != partitions)
        {
            throw new InvalidOperationException("expected a clean reopen of every partition");
        }

        stopwatch.Stop();
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    Directory.Delete(directory, recursive: true);
    return (seconds, $"{opened} partitions opened in {seconds:F2} s ({opened / seconds:F0}/s); creating + writing + clean stop took {created:F1} s");
}
