using System.Globalization;
using System.Text.Json;

namespace Wharf.LoadGen.Drivers;

/// <summary>
/// librdkafka's own view of a produce or consume phase, from its statistics (<c>statistics.interval.ms</c>), for
/// <c>compare --client-stats</c>: the mean and worst p99 round trip of its requests to the broker (Produce or Fetch),
/// and the peak of messages in its local queue (producer: waiting for acks; consumer: fetched, not yet consumed). A
/// produce round-trip p99 near 500 ms once showed thread-pool starvation in the broker that no server-side figure
/// did. Thread-safety: <see cref="Add"/> from librdkafka's statistics callback only; <see cref="Summary"/> after.
/// </summary>
public sealed class ClientStatistics(string requests)
{
    private double _rttMeanSum;
    private int _windows;
    private long _rttP99Micros;
    private long _peakMessages;
    private long _peakBytes;

    public void Add(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        _peakMessages = Math.Max(_peakMessages, root.GetProperty("msg_cnt").GetInt64());
        _peakBytes = Math.Max(_peakBytes, root.GetProperty("msg_size").GetInt64());
        foreach (var broker in root.GetProperty("brokers").EnumerateObject())
        {
            var rtt = broker.Value.GetProperty("rtt");
            if (broker.Value.GetProperty("nodeid").GetInt32() < 0 || rtt.GetProperty("cnt").GetInt64() == 0)
            {
                continue; // the bootstrap connection, or no request in this window
            }

            _rttMeanSum += rtt.GetProperty("avg").GetInt64();
            _windows++;
            _rttP99Micros = Math.Max(_rttP99Micros, rtt.GetProperty("p99").GetInt64());
        }
    }

    public string Summary() => string.Create(
        CultureInfo.InvariantCulture,
        $"librdkafka: {requests} round trip mean {(_windows == 0 ? 0 : _rttMeanSum / _windows / 1000.0):0.0} ms, p99 ≤ {_rttP99Micros / 1000.0:0.0} ms; local queue peak {_peakMessages:N0} messages / {_peakBytes / 1048576.0:0} MiB");
}
