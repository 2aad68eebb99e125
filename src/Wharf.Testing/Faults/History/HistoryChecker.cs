namespace Wharf.Testing.Faults.History;

/// <summary>
/// Checks a history of sends and polls with unique values the way Jepsen's Kafka workload does
/// (<c>jepsen.tests.kafka</c>), reporting:
/// <list type="bullet">
/// <item><b>lost-write</b>: an acknowledged send at offset a was never polled, though some poll read a later offset of
/// its partition;</item>
/// <item><b>unseen</b>: an acknowledged send never polled at all (and not a lost-write) — after the final drain, data
/// that vanished from the end of a log;</item>
/// <item><b>duplicate</b>: one value at two positions (partition, offset);</item>
/// <item><b>inconsistent-offsets</b>: one position holding two values;</item>
/// <item><b>nonmonotonic-poll</b>: a consumer's next record in a partition is not after the previous one, with no
/// assignment change between them;</item>
/// <item><b>poll-skip</b>: a consumer jumps over an offset some poll showed to hold a record, with no assignment
/// change;</item>
/// <item><b>G1a</b> (aborted read): a poll sees a value whose send failed, or that an aborted transaction wrote;</item>
/// <item><b>nonmonotonic-send</b>: one producer's acknowledged sends to one partition got offsets out of the order it
/// sent them in.</item>
/// </list>
/// An acknowledged send is an ok send outside a transaction, or inside one whose txn line is ok. A failed send (fail),
/// or any send of an aborted transaction, is known not to be written; info outcomes are neither.
/// Unavailability: per partition, the longest gap between acknowledged sends (their ok times) within the fault window
/// (first to last fault line), edges included. Thread-safety: stateless.
/// </summary>
public static class HistoryChecker
{
    private const int MaxExamples = 5;

    public static CheckResult Check(IReadOnlyList<HistoryOp> history)
    {
        var anomalies = CheckResult.Anomalies.ToDictionary(a => a, _ => new List<string>());
        var txnOutcome = history.Where(o => o.Op == OpKind.Txn && o.Type != OpType.Invoke && o.Txn is not null)
            .GroupBy(o => o.Txn!).ToDictionary(g => g.Key, g => g.Last().Type);
        var sendOks = history.Where(o => o is { Op: OpKind.Send, Type: OpType.Ok, Value: not null, Partition: not null }).ToList();
        var polls = history.Where(o => o is { Op: OpKind.Poll, Type: OpType.Ok, Value: not null, Partition: not null, Offset: not null }).ToList();
        var acked = sendOks.Where(s => s.Txn is null || txnOutcome.GetValueOrDefault(s.Txn) == OpType.Ok).ToList();
        var failedValues = history.Where(o => o.Op == OpKind.Send && o.Value is not null &&
                (o.Type == OpType.Fail || (o.Type == OpType.Ok && o.Txn is not null && txnOutcome.GetValueOrDefault(o.Txn) == OpType.Fail)))
            .Select(o => o.Value!).ToHashSet(StringComparer.Ordinal);
        var polledValues = polls.Select(p => p.Value!).ToHashSet(StringComparer.Ordinal);
        var polledOffsets = polls.GroupBy(p => p.Partition!).ToDictionary(g => g.Key, g => new SortedSet<long>(g.Select(p => p.Offset!.Value)));

        // Positions: every (partition, offset) ↔ value fact from acknowledged offsets and polls.
        var facts = sendOks.Where(s => s.Offset is >= 0).Concat(polls).Select(o => (Position: (o.Partition!, o.Offset!.Value), Value: o.Value!)).ToList();
        foreach (var group in facts.GroupBy(f => f.Position).Where(g => g.Select(f => f.Value).Distinct().Count() > 1))
        {
            Add(anomalies, "inconsistent-offsets", $"{group.Key.Item1}@{group.Key.Item2} holds {string.Join(" and ", group.Select(f => f.Value).Distinct())}");
        }

        foreach (var group in facts.GroupBy(f => f.Value).Where(g => g.Select(f => f.Position).Distinct().Count() > 1))
        {
            Add(anomalies, "duplicate", $"{group.Key} at {string.Join(" and ", group.Select(f => $"{f.Position.Item1}@{f.Position.Item2}").Distinct())}");
        }

        foreach (var send in acked.Where(s => !polledValues.Contains(s.Value!)))
        {
            var later = send.Offset is { } offset && polledOffsets.TryGetValue(send.Partition!, out var offsets) && offsets.Max > offset;
            Add(anomalies, later ? "lost-write" : "unseen", $"{send.Value} acked at {send.Partition}@{send.Offset}");
        }

        foreach (var poll in polls.Where(p => failedValues.Contains(p.Value!)))
        {
            Add(anomalies, "G1a", $"{poll.Process} read {poll.Value} at {poll.Partition}@{poll.Offset}, which was not written");
        }

        CheckPollOrder(history, polledOffsets, anomalies);
        CheckSendOrder(history, anomalies);
        return new CheckResult(
            anomalies.ToDictionary(a => a.Key, a => a.Value.Count),
            anomalies.ToDictionary(a => a.Key, a => (IReadOnlyList<string>)[.. a.Value.Take(MaxExamples)]),
            acked.Count,
            polledValues.Count,
            Unavailability(history, acked));
    }

    private static void CheckPollOrder(IReadOnlyList<HistoryOp> history, Dictionary<string, SortedSet<long>> polledOffsets, Dictionary<string, List<string>> anomalies)
    {
        var last = new Dictionary<(string Process, string Partition), long>();
        foreach (var op in history)
        {
            if (op.Op == OpKind.Assign)
            {
                foreach (var key in last.Keys.Where(k => k.Process == op.Process && (op.Partition is null || k.Partition == op.Partition)).ToList())
                {
                    last.Remove(key);
                }
            }
            else if (op is { Op: OpKind.Poll, Type: OpType.Ok, Partition: not null, Offset: { } offset })
            {
                var key = (op.Process, op.Partition);
                if (last.TryGetValue(key, out var previous))
                {
                    if (offset <= previous)
                    {
                        Add(anomalies, "nonmonotonic-poll", $"{op.Process} read {op.Partition}@{offset} after @{previous}");
                    }
                    else if (offset > previous + 1 && polledOffsets[op.Partition].GetViewBetween(previous + 1, offset - 1).Count > 0)
                    {
                        Add(anomalies, "poll-skip", $"{op.Process} jumped from {op.Partition}@{previous} to @{offset} over a record");
                    }
                }

                last[key] = offset;
            }
        }
    }

    /// <summary>Acknowledged offsets per producer and partition, taken in the order the producer sent (its invoke lines).</summary>
    private static void CheckSendOrder(IReadOnlyList<HistoryOp> history, Dictionary<string, List<string>> anomalies)
    {
        var sentAt = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < history.Count; i++)
        {
            if (history[i] is { Op: OpKind.Send, Type: OpType.Invoke, Value: { } value })
            {
                sentAt.TryAdd(value, i);
            }
        }

        var oks = history.Where(o => o is { Op: OpKind.Send, Type: OpType.Ok, Value: not null, Partition: not null, Offset: >= 0 });
        foreach (var stream in oks.GroupBy(o => (o.Process, o.Partition)))
        {
            HistoryOp? previous = null;
            foreach (var op in stream.OrderBy(o => sentAt.GetValueOrDefault(o.Value!, int.MaxValue)))
            {
                if (previous is not null && op.Offset <= previous.Offset)
                {
                    Add(anomalies, "nonmonotonic-send", $"{op.Process} sent {previous.Value} then {op.Value} but got {op.Partition}@{previous.Offset} then @{op.Offset}");
                }

                previous = op;
            }
        }
    }

    private static Dictionary<string, TimeSpan> Unavailability(IReadOnlyList<HistoryOp> history, List<HistoryOp> acked)
    {
        var faults = history.Where(o => o.Op == OpKind.Fault).Select(o => o.Time).ToList();
        if (faults.Count == 0)
        {
            return [];
        }

        var (start, end) = (faults.Min(), faults.Max());
        var partitions = history.Where(o => o.Op == OpKind.Send && o.Partition is not null && o.Txn is null).Select(o => o.Partition!).Distinct();
        return partitions.ToDictionary(
            p => p,
            p =>
            {
                var times = acked.Where(s => s.Partition == p && s.Txn is null && s.Time > start && s.Time < end).Select(s => s.Time).Order().Prepend(start).Append(end).ToList();
                return TimeSpan.FromMilliseconds(times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max());
            },
            StringComparer.Ordinal);
    }

    private static void Add(Dictionary<string, List<string>> anomalies, string anomaly, string example) => anomalies[anomaly].Add(example);
}
