using Confluent.Kafka;
using Wharf.Testing.Faults.History;

namespace Wharf.Testing.Faults.Workloads;

/// <summary>
/// What every workload of one fault run shares: where the cluster is, the topics and their partition count, the
/// history to record into, a seed, and the client timeouts. Immutable (the recorder is thread-safe).
/// </summary>
public sealed record WorkloadContext(string BootstrapServers, string Topic, string CopyTopic, int Partitions, HistoryRecorder History, int Seed)
{
    /// <summary>How long a producer keeps retrying one record before it reports it (<c>message.timeout.ms</c>).</summary>
    public TimeSpan MessageTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A unique suffix for group and transactional ids of this run.</summary>
    public string RunId { get; init; } = Guid.NewGuid().ToString("N")[..8];

    public static string PartitionName(string topic, int partition) => $"{topic}-{partition}";

    public void Record(string process, OpType type, OpKind op, string? partition = null, string? value = null, long? offset = null, string? txn = null, string? error = null) =>
        History.Record(new HistoryOp { Process = process, Type = type, Op = op, Partition = partition, Value = value, Offset = offset, Txn = txn, Error = error });

    /// <summary>Records every record of <paramref name="result"/> as a poll of <paramref name="process"/>.</summary>
    public void RecordPoll(string process, ConsumeResult<string, string> result) =>
        Record(process, OpType.Ok, OpKind.Poll, PartitionName(result.Topic, result.Partition.Value), result.Message.Value, result.Offset.Value);

    /// <summary>The ok, fail or info line of one delivery: not persisted is a definite failure, possibly persisted is unknown.</summary>
    public void RecordDelivery(string process, DeliveryReport<string, string> report, string? txn = null)
    {
        var partition = PartitionName(report.Topic, report.Partition.Value);
        if (report.Error.Code == ErrorCode.NoError)
        {
            Record(process, OpType.Ok, OpKind.Send, partition, report.Message.Value, report.Offset.Value, txn);
        }
        else
        {
            var type = report.Status == PersistenceStatus.NotPersisted ? OpType.Fail : OpType.Info;
            Record(process, type, OpKind.Send, partition, report.Message.Value, txn: txn, error: report.Error.Reason);
        }
    }

    /// <summary>librdkafka's own log lines (connection drops, retries) are expected under faults: they are dropped, not printed.</summary>
    public static void Quiet(IClient client, LogMessage message)
    {
    }

    /// <summary>A read_committed consumer that never commits by itself, reading from the earliest offset when it has none.</summary>
    public ConsumerConfig ConsumerConfig(string group) => new()
    {
        BootstrapServers = BootstrapServers,
        GroupId = group,
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        IsolationLevel = IsolationLevel.ReadCommitted,
        SessionTimeoutMs = 10_000,
        SocketTimeoutMs = 10_000,
    };

    /// <summary>An idempotent producer with acks=all.</summary>
    public ProducerConfig ProducerConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        Acks = Acks.All,
        EnableIdempotence = true,
        LingerMs = 5,
        MessageTimeoutMs = (int)MessageTimeout.TotalMilliseconds,
        RequestTimeoutMs = 10_000,
        SocketTimeoutMs = 10_000,
    };
}
