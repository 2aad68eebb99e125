using System.Diagnostics;
using Confluent.Kafka;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// A Confluent.Kafka idempotent producer (acks=all, linger.ms=1, message.timeout.ms=120000, librdkafka's defaults
/// otherwise) that sends one 100-byte message to one partition about every millisecond from its own thread, and
/// records for each acknowledged message when it was handed to the client and when the acknowledgement arrived.
/// Paced rather than flat out, so that a message sent after a failure does not queue behind seconds of backlog: the
/// wait it sees is the failover's. librdkafka's warnings and errors are kept with their time, as they say what the
/// client went through (connection refused, NOT_LEADER, retries).
/// Thread-safety: <see cref="Start"/> and <see cref="StopAsync"/> from one owner; the sending thread and librdkafka's
/// delivery and log callbacks share the recorded state under one lock.
/// </summary>
public sealed class PacedProducer : IDisposable
{
    private const int KeptClientLines = 40;

    private readonly Lock _gate = new();
    private readonly List<Acknowledgement> _acknowledgements = [];
    private readonly List<string> _clientLog = [];
    private readonly IProducer<Null, byte[]> _producer;
    private readonly TopicPartition _partition;
    private readonly long _origin = Stopwatch.GetTimestamp();
    private volatile bool _stopping;
    private Thread? _sender;
    private double _latestAckedSentAt = double.NegativeInfinity;
    private int _clientLines;

    public PacedProducer(string bootstrapServers, string topic, int partition)
    {
        _partition = new TopicPartition(topic, partition);
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 1,
            MessageTimeoutMs = 120_000,
            DeliveryReportFields = "status",
        };
        _producer = new ProducerBuilder<Null, byte[]>(config)
            .SetLogHandler((_, message) =>
            {
                if (message.Level <= SyslogLevel.Warning)
                {
                    Note($"{message.Level} {message.Facility}: {message.Message}");
                }
            })
            .SetErrorHandler((_, error) => Note($"error {error.Code}: {error.Reason}"))
            .Build();
    }

    /// <summary>Seconds since this producer was created: the clock of every recorded time.</summary>
    public double Now => Stopwatch.GetElapsedTime(_origin).TotalSeconds;

    public int Failed { get; private set; }

    public string? FirstError { get; private set; }

    public int Acknowledged
    {
        get
        {
            lock (_gate)
            {
                return _acknowledgements.Count;
            }
        }
    }

    /// <summary>librdkafka's warnings and errors, each with its time on <see cref="Now"/>'s clock (the first
    /// <see cref="KeptClientLines"/>), and how many there were in all.</summary>
    public (IReadOnlyList<string> Lines, int Count) ClientLog
    {
        get
        {
            lock (_gate)
            {
                return ([.. _clientLog], _clientLines);
            }
        }
    }

    public void Start()
    {
        _sender = new Thread(Send) { IsBackground = true, Name = "paced producer" };
        _sender.Start();
    }

    /// <summary>Whether a message handed over at or after <paramref name="time"/> has been acknowledged (the producer
    /// is idempotent, so a partition's acknowledgements come in send order).</summary>
    public bool HasAcknowledgedSentAfter(double time)
    {
        lock (_gate)
        {
            return _latestAckedSentAt >= time;
        }
    }

    /// <summary>Stops sending, waits up to <paramref name="flushTimeout"/> for what is in flight, and returns every
    /// acknowledgement.</summary>
    public async Task<IReadOnlyList<Acknowledgement>> StopAsync(TimeSpan flushTimeout)
    {
        _stopping = true;
        _sender?.Join();
        await Task.Run(() => _producer.Flush(flushTimeout)).ConfigureAwait(false);
        lock (_gate)
        {
            return [.. _acknowledgements];
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _sender?.Join();
        _producer.Dispose();
    }

    private void Send()
    {
        var message = new Message<Null, byte[]> { Value = new byte[100] };
        while (!_stopping)
        {
            var sentAt = Now;
            try
            {
                _producer.Produce(_partition, message, report => OnDelivery(report, sentAt));
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(1));
            }

            Thread.Sleep(1);
        }
    }

    private void OnDelivery(DeliveryReport<Null, byte[]> report, double sentAt)
    {
        var ackedAt = Now;
        lock (_gate)
        {
            if (report.Error.IsError)
            {
                Failed++;
                FirstError ??= $"{report.Error.Code}: {report.Error.Reason}";
                return;
            }

            _acknowledgements.Add(new Acknowledgement(sentAt, ackedAt));
            _latestAckedSentAt = Math.Max(_latestAckedSentAt, sentAt);
        }
    }

    private void Note(string line)
    {
        var at = Now;
        lock (_gate)
        {
            if (++_clientLines <= KeptClientLines)
            {
                _clientLog.Add($"{at:0.000} s {line}");
            }
        }
    }
}
