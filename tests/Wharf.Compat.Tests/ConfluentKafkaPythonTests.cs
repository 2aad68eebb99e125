using System.Text.Json.Serialization;
using Wharf.Compat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests;

/// <summary>
/// Debian's python3-confluent-kafka 1.7 (librdkafka 2.0.2, the oldest librdkafka we target): a transactional producer
/// (init/begin/commit/abort) and read_committed / read_uncommitted consumers.
/// </summary>
public sealed class ConfluentKafkaPythonTests(ITestOutputHelper output)
{
    [RequiresToolFact(ExternalTool.ConfluentKafkaPython)]
    public async Task TransactionalProducer_ReadCommittedSeesOnlyCommitted_ReadUncommittedSeesAll()
    {
        ExternalTools.Require(ExternalTool.ConfluentKafkaPython);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("py-txn");

        var result = await Scripts.RunPythonAsync<TransactionResult>(ExternalTool.ConfluentKafkaPython, "transactions.py", broker.BootstrapServers, topic, "3", "12");

        Assert.Equal(32, result.Committed.Count);
        Assert.Equal(16, result.Aborted.Count);
        Assert.Empty(result.ReadCommitted.Intersect(result.Aborted));
        Assert.Equal(result.Committed.Order(StringComparer.Ordinal), result.ReadCommitted.Order(StringComparer.Ordinal));
        Assert.Equal(result.Committed.Concat(result.Aborted).Order(StringComparer.Ordinal), result.ReadUncommitted.Order(StringComparer.Ordinal));
    }

    private sealed record TransactionResult(
        IReadOnlyList<string> Committed,
        IReadOnlyList<string> Aborted,
        [property: JsonPropertyName("read_committed")] IReadOnlyList<string> ReadCommitted,
        [property: JsonPropertyName("read_uncommitted")] IReadOnlyList<string> ReadUncommitted);
}
