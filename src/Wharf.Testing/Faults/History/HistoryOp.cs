using System.Text.Json.Serialization;

namespace Wharf.Testing.Faults.History;

/// <summary>What stage of an operation a history line records, as in Jepsen.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OpType>))]
public enum OpType
{
    /// <summary>The operation began (a send or transaction was attempted).</summary>
    [JsonStringEnumMemberName("invoke")]
    Invoke,

    /// <summary>It definitely happened (a send acknowledged at an offset, a record polled, a transaction committed).</summary>
    [JsonStringEnumMemberName("ok")]
    Ok,

    /// <summary>It definitely did not happen (a send refused and not persisted, a transaction aborted).</summary>
    [JsonStringEnumMemberName("fail")]
    Fail,

    /// <summary>Its outcome is unknown (a send timed out, a commit failed in flight), or a note such as a fault.</summary>
    [JsonStringEnumMemberName("info")]
    Info,
}

/// <summary>Which operation a history line is about.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OpKind>))]
public enum OpKind
{
    /// <summary>A produce of one record with a unique value.</summary>
    [JsonStringEnumMemberName("send")]
    Send,

    /// <summary>One record a consumer received (one line per record).</summary>
    [JsonStringEnumMemberName("poll")]
    Poll,

    /// <summary>A consumer group's committed offset (the next offset to read) for one partition.</summary>
    [JsonStringEnumMemberName("commit")]
    Commit,

    /// <summary>A transaction, by <see cref="HistoryOp.Txn"/>: ok = committed, fail = aborted, info = unknown.</summary>
    [JsonStringEnumMemberName("txn")]
    Txn,

    /// <summary>A consumer's assignment or position changed (assign, rebalance, seek): its poll order starts over.</summary>
    [JsonStringEnumMemberName("assign")]
    Assign,

    /// <summary>A fault event of the nemesis (<see cref="HistoryOp.Value"/> describes it).</summary>
    [JsonStringEnumMemberName("fault")]
    Fault,
}

/// <summary>
/// One line of a fault run's history (JSONL): who (<see cref="Process"/>), what stage, which operation, on which
/// partition (<c>topic-partition</c>), with which unique value and at which offset, when (milliseconds since the run
/// began). Sends inside a transaction name it in <see cref="Txn"/>; their records count as written only if that
/// transaction's <see cref="OpKind.Txn"/> line is ok. Immutable.
/// </summary>
public sealed record HistoryOp
{
    [JsonPropertyName("process")]
    public required string Process { get; init; }

    [JsonPropertyName("type")]
    public required OpType Type { get; init; }

    [JsonPropertyName("op")]
    public required OpKind Op { get; init; }

    [JsonPropertyName("partition")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Partition { get; init; }

    [JsonPropertyName("value")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    [JsonPropertyName("offset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Offset { get; init; }

    [JsonPropertyName("txn")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Txn { get; init; }

    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>Milliseconds since the run began.</summary>
    [JsonPropertyName("time")]
    public long Time { get; init; }
}
