using Wharf.LoadGen;
using Wharf.LoadGen.Queue;

namespace Wharf.Benchmarks.Tests;

/// <summary>How the queue targets are judged: ratios of medians once Wharf's figures exist, n/a until then.</summary>
public sealed class QueueTargetsTests
{
    [Fact]
    public void Evaluate_WithoutWharfFigures_ReportsEveryTargetAsNotAvailable()
    {
        var rows = QueueTargets.Evaluate([Row(QueueSystems.RabbitMqQuorum, QueueRow.Consume, 40_000), Row(QueueSystems.Nats, QueueRow.Consume, 50_000)]);

        Assert.Equal(3, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Null(row.Met);
            Assert.StartsWith(QueueTargets.NotAvailable, row.Measured, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Evaluate_WharfProduceOnly_JudgesProduceAndLeavesConsumeNotAvailable()
    {
        var rows = QueueTargets.Evaluate(
        [
            Row(QueueSystems.RabbitMqQuorum, QueueRow.Produce, 20_000, 20_000, 20_000, cpu: 36),
            Row(QueueSystems.Wharf, QueueRow.Produce, 110_000, 100_000, 120_000, cpu: 3),
        ]);

        var produce = Assert.Single(rows, r => r.Name.StartsWith("produce", StringComparison.Ordinal));
        Assert.True(produce.Met);
        Assert.StartsWith("5.50× (5.00–6.00)", produce.Measured, StringComparison.Ordinal);
        Assert.Contains("broker CPU 3.00 vs 36.00 µs/msg", produce.Measured, StringComparison.Ordinal);
        Assert.All(rows.Where(r => r != produce), r => Assert.Null(r.Met));
    }

    [Fact]
    public void Evaluate_WharfConsumeBelowThreeTimesTheQuorumQueue_IsNotMet()
    {
        var rows = QueueTargets.Evaluate(
        [
            Row(QueueSystems.RabbitMqQuorum, QueueRow.Consume, 60_000),
            Row(QueueSystems.Nats, QueueRow.Consume, 50_000),
            Row(QueueSystems.Wharf, QueueRow.Consume, 170_000),
        ]);

        Assert.Equal([false, true, null], rows.Select(r => r.Met));
        Assert.StartsWith("2.83×", rows[0].Measured, StringComparison.Ordinal);
        Assert.StartsWith("3.40×", rows[1].Measured, StringComparison.Ordinal);
    }

    private static QueueRow Row(string system, string phase, double median, double? min = null, double? max = null, double cpu = 10)
    {
        var rate = new Summary(median, min ?? median, max ?? median);
        return new QueueRow(system, "test", phase, phase == QueueRow.Consume ? 4 : 1, rate, rate, new Summary(cpu, cpu, cpu), new Summary(1, 1, 1), []);
    }
}
