using System.Globalization;
using System.Text.Json.Serialization;
using Confluent.Kafka.Admin;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// kcat (librdkafka 2.0.2), kafka-python 2.0.2 and KafkaJS 2.2.4 against three broker processes with replication
/// factor 3 and <c>min.insync.replicas=2</c>: records acknowledged (acks=all) before kill -9 of a partition leader are
/// all there afterwards, the tools go on producing through the survivors, and once the killed broker is back — a
/// follower now, truncated where its log ran past the new leader's — every record is read back exactly once from it.
/// </summary>
public sealed class ReplicatedToolsTests(ITestOutputHelper output)
{
    private const int Partitions = 3;
    private const int PerPhase = 90;

    [RequiresToolFact(ExternalTool.Etcd, ExternalTool.Kcat, ExternalTool.KafkaPython, ExternalTool.KafkaJs)]
    public async Task ToolsAcrossALeaderKill_LoseNothingAcknowledged_AndTheRestartedBrokerServesEveryRecordOnce()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var own = await TestClusters.StartAsync(output);
        var cluster = own.Cluster;
        var controller = await cluster.ControllerIdAsync();
        var topic = TestClusters.Name("tools-rf3");
        var answer = await Clients.CreateReplicatedTopicAsync(cluster.BootstrapServers, cluster.BootstrapServersOf(controller), topic, Partitions);
        var victim = answer.Leaders[0] != controller ? answer.Leaders[0] : answer.Leaders.Values.FirstOrDefault(l => l != controller, answer.Leaders[0]);

        var before = Records("before", PerPhase);
        await new Kcat(cluster.BootstrapServers).ProduceAsync(topic, before, "gzip");

        cluster.Kill(victim);
        output.WriteLine($"killed broker {victim} (leader of partitions {string.Join(',', answer.Leaders.Where(l => l.Value == victim).Select(l => l.Key))})");
        var survivors = string.Join(',', cluster.RunningNodeIds.Select(cluster.BootstrapServersOf));
        await Wait.UntilAsync(async () => (answer = await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(cluster.RunningNodeIds[0]), topic)).Leaders.Values.All(l => l >= 0 && l != victim),
            "new leaders", () => answer.ToString());

        var after = Records("after", PerPhase);
        await new Kcat(survivors).ProduceAsync(topic, after, "none");
        var python = await Scripts.RunPythonAsync<PythonRoundTrip>("roundtrip.py", survivors, topic, "30", "gzip");
        Assert.Equal(30, python.Produced.Count);
        var jsTopic = TestClusters.Name("js-rf");
        var js = await Scripts.RunNodeAsync<JsProduce>("produce.js", survivors, jsTopic, Partitions.ToString(CultureInfo.InvariantCulture), "60");
        Assert.All(js.Sent, s => Assert.Equal(0, s.ErrorCode));

        await cluster.RestartAsync(victim);
        await cluster.WaitForLiveBrokersAsync(cluster.NodeIds, TestClusters.WaitLimit);
        var fromRestarted = new Kcat(cluster.BootstrapServersOf(victim));
        List<KcatRecord> consumed = [];
        await Wait.UntilAsync(async () => (consumed = [.. await fromRestarted.ConsumeAllAsync(topic)]).Count >= before.Length + after.Length + python.Produced.Count,
            "every record through the restarted broker", () => $"{consumed.Count} records");

        var kcatValues = consumed.Where(r => r.Value.StartsWith("before-", StringComparison.Ordinal) || r.Value.StartsWith("after-", StringComparison.Ordinal)).Select(r => r.Value);
        Assert.Equal(before.Concat(after).Select(r => r.Value).Order(StringComparer.Ordinal), kcatValues.Order(StringComparer.Ordinal));
        Assert.Equal(before.Length + after.Length + python.Produced.Count, consumed.Count);
        foreach (var partition in consumed.GroupBy(r => r.Partition))
        {
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
        }

        var jsRead = await new Kcat(cluster.BootstrapServersOf(victim)).ConsumeAllAsync(jsTopic);
        Assert.Equal(60, jsRead.Count);
    }

    private static (string Key, string Value)[] Records(string phase, int count) =>
        [.. Enumerable.Range(0, count).Select(i => ($"{phase}-k{i}", $"{phase}-{i:D4}"))];

    private sealed record PythonRoundTrip(
        [property: JsonPropertyName("api_version")] IReadOnlyList<int> ApiVersion,
        IReadOnlyList<PythonProduced> Produced,
        IReadOnlyList<PythonConsumed> Consumed);

    private sealed record PythonProduced(int Partition, long Offset);

    private sealed record PythonConsumed(int Partition, long Offset, string? Key, string? Value);

    private sealed record JsProduce(bool Created, IReadOnlyList<JsSent> Sent);

    private sealed record JsSent(int Partition, int ErrorCode, long BaseOffset);
}
