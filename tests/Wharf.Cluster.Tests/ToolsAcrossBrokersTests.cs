using System.Globalization;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>kcat (librdkafka 2.0.2) and KafkaJS 2.2.4 produce and consume across three brokers, each bootstrapped from one.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class ToolsAcrossBrokersTests(SharedClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const int Partitions = 12;
    private const int RecordCount = 120;
    private readonly WharfCluster _cluster = fixture.Cluster;
    private readonly ClusterLogs _logs = new(output, fixture.Cluster);

    public void Dispose() => _logs.Dispose();

    [RequiresToolFact(ExternalTool.Etcd, ExternalTool.Kcat)]
    public async Task Kcat_ProducesThroughOneBrokerAndConsumesThroughAnother_EveryRecordOnce()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        var topic = TestClusters.Name("kcat");
        await Clients.CreateTopicAsync(_cluster.BootstrapServers, topic, Partitions);
        var records = Enumerable.Range(0, RecordCount).Select(i => (Key: $"key-{i}", Value: $"value-{i}")).ToArray();

        var metadata = await new Kcat(_cluster.BootstrapServersOf(1)).MetadataAsync(topic);
        await new Kcat(_cluster.BootstrapServersOf(1)).ProduceAsync(topic, records, "lz4");
        var consumed = await new Kcat(_cluster.BootstrapServersOf(3)).ConsumeAllAsync(topic);

        Assert.Equal([1, 2, 3], metadata.GetProperty("brokers").EnumerateArray().Select(b => b.GetProperty("id").GetInt32()).Order());
        var leaders = metadata.GetProperty("topics")[0].GetProperty("partitions").EnumerateArray()
            .ToDictionary(p => p.GetProperty("partition").GetInt32(), p => p.GetProperty("leader").GetInt32());
        Assert.Equal([1, 2, 3], leaders.Values.Distinct().Order());
        Assert.Equal(records.Order(), consumed.Select(r => (r.Key, r.Value)).Order());
        Assert.Equal([1, 2, 3], consumed.Select(r => leaders[r.Partition]).Distinct().Order());
        foreach (var partition in consumed.GroupBy(r => r.Partition))
        {
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
        }
    }

    [RequiresToolFact(ExternalTool.Etcd, ExternalTool.KafkaJs)]
    public async Task KafkaJs_CreatesAndProducesThroughOneBroker_AndAGroupMemberOnAnotherReadsEveryRecord()
    {
        ExternalTools.Require(ExternalTool.KafkaJs);
        var topic = TestClusters.Name("js");
        var group = TestClusters.Name("js-group");

        var produced = await Scripts.RunNodeAsync<ProduceResult>(
            "produce.js", _cluster.BootstrapServersOf(2), topic, Partitions.ToString(CultureInfo.InvariantCulture), RecordCount.ToString(CultureInfo.InvariantCulture));

        Assert.True(produced.Created, "createTopics did not report the topic as created");
        var described = Assert.Single(produced.Described);
        Assert.All(described.Partitions, p => Assert.Equal(0, p.ErrorCode));
        Assert.Equal([1, 2, 3], described.Partitions.Select(p => p.Leader).Distinct().Order());
        Assert.All(produced.Sent, s => Assert.Equal(0, s.ErrorCode));
        Assert.Equal(Enumerable.Repeat((long)(RecordCount / Partitions), Partitions), produced.Offsets.Select(o => o.High));

        await using var member = StreamingProcess.Start(
            ExternalTools.Node,
            [Path.Combine(ExternalTools.NodeScripts, "group_member.js"), _cluster.BootstrapServersOf(3), group, topic],
            new Dictionary<string, string> { ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1" },
            ExternalTools.NodeScripts);
        IReadOnlyList<string> Messages() => [.. member.StandardOutput.Where(l => l.StartsWith("msg ", StringComparison.Ordinal))];
        await StreamingProcess.WaitUntilAsync(() => Messages().Count >= RecordCount || member.HasExited, TestClusters.WaitLimit, $"{RecordCount} records", member);
        Assert.Equal(0, await member.StopAsync(TimeSpan.FromSeconds(20)));

        var values = Messages().Select(l => l.Split(' ', 4)[3]).ToArray();
        Assert.Equal(
            Enumerable.Range(0, RecordCount).Select(i => $"kafkajs-{i:D4}-naïve-☃").Order(StringComparer.Ordinal),
            values.Order(StringComparer.Ordinal));
    }

    private sealed record ProduceResult(bool Created, IReadOnlyList<DescribedTopic> Described, IReadOnlyList<SentBatch> Sent, IReadOnlyList<TopicOffsets> Offsets);

    private sealed record DescribedTopic(string Name, IReadOnlyList<DescribedPartition> Partitions);

    private sealed record DescribedPartition(int Partition, int Leader, int ErrorCode);

    private sealed record SentBatch(int Partition, int ErrorCode, long BaseOffset);

    private sealed record TopicOffsets(int Partition, long Low, long High);
}
