using System.Diagnostics;

namespace Wharf.LoadGen.Drivers;

/// <summary>
/// Collects end-to-end latencies by sequence number and checks, with a <see cref="DeliveryCheck"/>, that every
/// message arrived exactly once: <see cref="Result"/> throws <see cref="DeliveryCheckException"/> on a lost,
/// duplicated or foreign message rather than report percentiles over the wrong set (a lost message would leave a
/// zero latency behind; a duplicate would overwrite one).
/// Thread-safety: <see cref="Record"/> from one consumer thread; the counters may be read from any thread.
/// </summary>
public sealed class LatencyRecorder(long expected, long skipBelow)
{
    private readonly long[] _latencies = new long[expected];
    private readonly DeliveryCheck _check = new(expected);
    private long _received;

    /// <summary>Every arrival, duplicates and foreign ones included.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Different expected messages received; a consumer is done when this reaches the number sent.</summary>
    public long Distinct => _check.Distinct;

    public void Record(in Probe probe)
    {
        var now = Stopwatch.GetTimestamp();
        if (_check.Record(probe.Sequence))
        {
            _latencies[probe.Sequence] = now - probe.Stamp;
        }

        Interlocked.Increment(ref _received);
    }

    /// <summary>The delivery outcome so far, for <paramref name="sent"/> messages produced.</summary>
    public DeliveryResult Check(long sent) => _check.Result(sent);

    /// <summary>
    /// The failure to report when a consumer stopped seeing messages before all <paramref name="sent"/> arrived: the
    /// delivery check if it found a loss or duplicate, else a plain timeout.
    /// </summary>
    public Exception Stalled(long sent, string where)
    {
        var result = Check(sent);
        return result.ExactlyOnce
            ? new TimeoutException($"{where}: consumer stalled at {result.Received} of {sent}")
            : new DeliveryCheckException(result, $"{where} (consumer gave up waiting)");
    }

    /// <summary>Latencies of messages <c>skipBelow</c> .. <paramref name="sent"/>−1, in <see cref="Stopwatch"/> ticks,
    /// after checking that each of the <paramref name="sent"/> arrived exactly once.</summary>
    public long[] Result(long sent, string where = "latency run")
    {
        Check(sent).ThrowUnlessExactlyOnce(where);
        return _latencies.Take((int)Math.Min(sent, _latencies.Length)).Skip((int)skipBelow).ToArray();
    }
}
