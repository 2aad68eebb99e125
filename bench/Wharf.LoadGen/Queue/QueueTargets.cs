using System.Globalization;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// The queue targets, always all three rows: Wharf's share group against RabbitMQ's quorum queue and NATS JetStream
/// (consume with per-message acknowledgement, ≥ 3× in msg/s each) and against the quorum queue for produce with a
/// durable acknowledgement (≥ 5×). A ratio is of medians, its range the widest the runs allow
/// (<see cref="Summary.Ratio"/>); the broker CPU-µs per message of both sides stands beside it. A row whose inputs were
/// not measured (a target skipped with --only, or one that failed) reads "n/a" and is neither met nor missed.
/// Thread-safety: stateless.
/// </summary>
public static class QueueTargets
{
    public const string NotAvailable = "n/a";

    public static IReadOnlyList<QueueTargetRow> Evaluate(IReadOnlyList<QueueRow> rows) =>
    [
        AtLeast(rows, QueueRow.Consume, QueueSystems.RabbitMqQuorum, "RabbitMQ quorum queue", 3),
        AtLeast(rows, QueueRow.Consume, QueueSystems.Nats, "NATS JetStream (explicit ack)", 3),
        AtLeast(rows, QueueRow.Produce, QueueSystems.RabbitMqQuorum, "RabbitMQ quorum queue (publisher confirms)", 5),
    ];

    private static QueueTargetRow AtLeast(IReadOnlyList<QueueRow> rows, string phase, string anchor, string anchorName, double wanted)
    {
        var consumers = rows.FirstOrDefault(r => r.Phase == phase)?.Consumers;
        var name = phase == QueueRow.Consume
            ? $"consume, {consumers?.ToString(CultureInfo.InvariantCulture) ?? "N"} consumers, each message acknowledged: Wharf share group / {anchorName}"
            : $"produce, durable acknowledgement: Wharf (fsync before ack) / {anchorName}";
        var wantedText = string.Create(CultureInfo.InvariantCulture, $"≥ {wanted:0.#}×");
        var wharf = rows.FirstOrDefault(r => r.System == QueueSystems.Wharf && r.Phase == phase);
        var other = rows.FirstOrDefault(r => r.System == anchor && r.Phase == phase);
        if (wharf is null || other is null)
        {
            var missing = wharf is null ? $"no Wharf {phase} figures" : $"{anchorName} not measured";
            return new QueueTargetRow(name, wantedText, $"{NotAvailable} ({missing})", null);
        }

        var ratio = Summary.Ratio(wharf.MessagesPerSecond, other.MessagesPerSecond);
        var measured = string.Create(
            CultureInfo.InvariantCulture,
            $"{ratio.Median:0.00}× ({ratio.Min:0.00}–{ratio.Max:0.00}): {wharf.MessagesPerSecond.Median:N0} vs {other.MessagesPerSecond.Median:N0} msg/s; broker CPU {wharf.ServerCpuMicrosPerMessage.Median:0.00} vs {other.ServerCpuMicrosPerMessage.Median:0.00} µs/msg");
        return new QueueTargetRow(name, wantedText, measured, ratio.Median >= wanted);
    }
}
