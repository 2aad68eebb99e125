using System.Buffers.Binary;
using System.Diagnostics;

namespace Wharf.LoadGen.Drivers;

/// <summary>
/// One messaging system driven through its own client library: create a stream (topic), produce a count of
/// fixed-size messages with a durable-ack wait, consume them all from the beginning, and measure end-to-end
/// latency at a fixed rate. Every method throws when a message is lost or refused, so a figure is never
/// reported for work that did not happen.
/// Thread-safety: one caller at a time.
/// </summary>
public interface IBenchDriver : IAsyncDisposable
{
    /// <summary>Whether <see cref="ProduceAsync"/> can run several producers at once (only Kafka clients here).</summary>
    bool SupportsPartitions { get; }

    /// <summary>False for librdkafka's mock cluster, which keeps only the newest few MB of each partition.</summary>
    bool SupportsConsume => true;

    /// <summary>
    /// For the last produce or consume phase: the share of its wall time that the client's busiest driving thread (the
    /// one calling produce or consume per message) was running or waiting for a CPU (<see cref="ThreadBusy"/>). Near
    /// 1.0 the generator thread itself is the bottleneck, so the phase measured the client, not the server. Null when
    /// the client has no such thread.
    /// </summary>
    double? LastDrivingThreadBusy => null;

    /// <summary>What the client library itself reported about the last produce phase (<c>--client-stats</c>), or null.</summary>
    string? LastClientStatistics => null;

    Task CreateAsync(string stream, int partitions);

    /// <summary>Produces <paramref name="count"/> copies of <paramref name="payload"/>, every one acknowledged; with
    /// <paramref name="keyed"/> each carries a key from <see cref="UniformKeys"/> (clients with partitions only).</summary>
    Task ProduceAsync(string stream, long count, byte[] payload, int producers, bool keyed = false);

    /// <summary>How evenly the last messages produced to <paramref name="stream"/> spread over its partitions, for the
    /// log; null when the system has no partitions.</summary>
    Task<string?> PartitionSpreadAsync(string stream) => Task.FromResult<string?>(null);

    Task ConsumeAsync(string stream, long count, int partitions);

    /// <summary>Produces at <paramref name="rate"/> msg/s for <paramref name="duration"/> while one consumer reads;
    /// returns the end-to-end latency of every message after the first second, in <see cref="Stopwatch"/> ticks.</summary>
    Task<long[]> LatencyAsync(string stream, int rate, TimeSpan duration, int size);

    Task DeleteAsync(string stream);
}

/// <summary>What a consumer needs from a message: its size and, for latency runs, its send stamp and sequence.</summary>
public readonly record struct Probe(int Length, long Stamp, long Sequence)
{
    public static Probe Read(ReadOnlySpan<byte> payload) => payload.Length >= 16
        ? new Probe(payload.Length, BinaryPrimitives.ReadInt64LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[8..]))
        : new Probe(payload.Length, 0, 0);

    /// <summary>Writes the send stamp (now) and sequence into the first 16 bytes of a latency payload.</summary>
    public static void WriteStamp(Span<byte> payload, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, Stopwatch.GetTimestamp());
        BinaryPrimitives.WriteInt64LittleEndian(payload[8..], sequence);
    }
}

/// <summary>
/// How much the calling thread wanted a CPU between its creation and <see cref="Busy"/>: time on a CPU plus time
/// runnable but waiting for one (<c>/proc/thread-self/schedstat</c>, nanoseconds), over wall time. Near 1.0 the thread
/// never waited for anything else (the server, the network): it was the bottleneck, whether it ran or queued for a
/// core shared with the server.
/// </summary>
public sealed class ThreadBusy
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly long _wantedStart = WantedNanoseconds();

    /// <summary>Share of wall time running or runnable since creation; call on the same thread.</summary>
    public double Busy() => (WantedNanoseconds() - _wantedStart) / 1e9 / Stopwatch.GetElapsedTime(_start).TotalSeconds;

    private static long WantedNanoseconds()
    {
        var fields = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
        return long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Fixed-rate pacing without spinning (a spinning generator would steal a core from the broker).</summary>
public sealed class Pacer(int rate)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>How many messages should have been sent by now.</summary>
    public long Due => (long)(Stopwatch.GetElapsedTime(_start).TotalSeconds * rate);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    public static void Nap() => Thread.Sleep(1);
}
