using Wharf.Testing.Faults.History;

namespace Wharf.Fault.Tests.Checker;

/// <summary>Hand-made histories for the checker tests: each call appends one line, one millisecond after the last.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<HistoryOp> _ops = [];

    public IReadOnlyList<HistoryOp> Ops => _ops;

    /// <summary>An invoke and an ok of one send acknowledged at <paramref name="offset"/>.</summary>
    public HistoryBuilder Sent(string process, string partition, string value, long offset, string? txn = null) =>
        Add(process, OpType.Invoke, OpKind.Send, partition, value, null, txn).Add(process, OpType.Ok, OpKind.Send, partition, value, offset, txn);

    public HistoryBuilder SendFailed(string process, string partition, string value) =>
        Add(process, OpType.Invoke, OpKind.Send, partition, value, null, null).Add(process, OpType.Fail, OpKind.Send, partition, value, null, null);

    public HistoryBuilder SendUnknown(string process, string partition, string value) =>
        Add(process, OpType.Invoke, OpKind.Send, partition, value, null, null).Add(process, OpType.Info, OpKind.Send, partition, value, null, null);

    public HistoryBuilder Polled(string process, string partition, long offset, string value) => Add(process, OpType.Ok, OpKind.Poll, partition, value, offset, null);

    public HistoryBuilder Assigned(string process) => Add(process, OpType.Ok, OpKind.Assign, null, null, null, null);

    public HistoryBuilder Txn(string process, string txn, OpType outcome) =>
        Add(process, OpType.Invoke, OpKind.Txn, null, null, null, txn).Add(process, outcome, OpKind.Txn, null, null, null, txn);

    public HistoryBuilder Fault(string what) => Add("nemesis", OpType.Info, OpKind.Fault, null, what, null, null);

    /// <summary>Lets <paramref name="milliseconds"/> pass before the next line.</summary>
    public HistoryBuilder After(long milliseconds)
    {
        _time += milliseconds - 1;
        return this;
    }

    private long _time;

    private HistoryBuilder Add(string process, OpType type, OpKind op, string? partition, string? value, long? offset, string? txn)
    {
        _ops.Add(new HistoryOp { Process = process, Type = type, Op = op, Partition = partition, Value = value, Offset = offset, Txn = txn, Time = ++_time });
        return this;
    }
}
