using Wharf.Compat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests;

/// <summary>
/// KafkaJS 2.2.4: admin (createTopics, listTopics, fetchTopicMetadata, fetchTopicOffsets[ByTimestamp],
/// deleteTopics) and producer, read back with kcat; transactions (producer.transaction(), send, sendOffsets,
/// commit/abort) read back by a KafkaJS consumer with readUncommitted=false.
/// </summary>
public sealed class KafkaJsTests(ITestOutputHelper output)
{
    private const int Partitions = 3;
    private const int RecordCount = 60;

    [RequiresToolFact(ExternalTool.KafkaJs, ExternalTool.Kcat)]
    public async Task AdminAndProducer_CreateProduceDescribeDelete_DataReadsBackWithKcat()
    {
        ExternalTools.Require(ExternalTool.KafkaJs, ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("js");

        var produced = await Scripts.RunNodeAsync<ProduceResult>(
            "produce.js", broker.BootstrapServers, topic, Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), RecordCount.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(produced.Created, "createTopics did not report the topic as created");
        Assert.False(produced.CreatedAgain, "createTopics of an existing topic reported it as created");
        Assert.True(produced.Listed, "listTopics did not show the topic");
        var described = Assert.Single(produced.Described);
        Assert.Equal(topic, described.Name);
        Assert.Equal([(0, 0), (1, 0), (2, 0)], described.Partitions.Select(p => (p.Partition, p.ErrorCode)));
        Assert.All(described.Partitions, p => Assert.Equal(broker.Controller.Config.NodeId, p.Leader));
        Assert.Equal(Partitions, broker.Controller.Current.TopicsByName[topic].PartitionCount);
        Assert.All(produced.Sent, s => Assert.Equal(0, s.ErrorCode));

        // Two sends (gzip, then none), each one batch per partition: the second starts where the first ended.
        var perPartition = RecordCount / Partitions;
        Assert.Equal(
            [(0, 0L), (1, 0L), (2, 0L), (0, perPartition / 2), (1, perPartition / 2), (2, perPartition / 2)],
            produced.Sent.Select(s => (s.Partition, s.BaseOffset)).OrderBy(s => s.BaseOffset).ThenBy(s => s.Partition));
        Assert.Equal([(0, 0L, (long)perPartition), (1, 0L, perPartition), (2, 0L, perPartition)], produced.Offsets.Select(o => (o.Partition, o.Low, o.High)));
        Assert.Equal([(0, 0L), (1, 0L), (2, 0L)], produced.ByTimestamp.Select(o => (o.Partition, o.Offset)));

        var kcat = new Kcat(broker.BootstrapServers);
        for (var partition = 0; partition < Partitions; partition++)
        {
            var expected = Enumerable.Range(0, RecordCount).Where(i => i % Partitions == partition).ToArray();
            var consumed = await kcat.ConsumeAllAsync(topic, partition);
            Assert.Equal(expected.Length, consumed.Count);
            for (var n = 0; n < expected.Length; n++)
            {
                var i = expected[n];
                Assert.Equal((partition, (long)n), (consumed[n].Partition, consumed[n].Offset));
                Assert.Equal($"k-{i % 4}", consumed[n].Key);
                Assert.Equal($"kafkajs-{i:D4}-naïve-☃", consumed[n].Value);
                Assert.Equal($"seq={i},client=kafkajs", consumed[n].Headers);
            }
        }

        var deleted = await Scripts.RunNodeAsync<DeleteResult>("delete.js", broker.BootstrapServers, topic);
        Assert.True(deleted.ListedBefore, "listTopics did not show the topic before deleting it");
        Assert.False(deleted.ListedAfter, "listTopics still shows the deleted topic");
        Assert.False(broker.Controller.Current.TryGetTopic(topic, out _), "the broker still has the deleted topic");
    }

    [RequiresToolFact(ExternalTool.KafkaJs)]
    public async Task Transactions_CommittedVisibleToReadCommitted_AbortedNever_SendOffsetsCommitsWithTheTransaction()
    {
        ExternalTools.Require(ExternalTool.KafkaJs);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("js-txn");

        var result = await Scripts.RunNodeAsync<TransactionResult>("transactions.js", broker.BootstrapServers, topic, Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), "9");

        Assert.Equal(18, result.Committed.Count);
        Assert.Equal(9, result.Aborted.Count);
        Assert.Empty(result.Read.Intersect(result.Aborted));
        Assert.Equal(result.Committed.Order(StringComparer.Ordinal), result.Read.Order(StringComparer.Ordinal));
        Assert.Contains(new GroupOffset(0, 5), result.GroupOffsets);
    }

    private sealed record TransactionResult(IReadOnlyList<string> Committed, IReadOnlyList<string> Aborted, IReadOnlyList<string> Read, IReadOnlyList<GroupOffset> GroupOffsets);

    private sealed record GroupOffset(int Partition, long Offset);

    private sealed record ProduceResult(
        bool Created,
        bool CreatedAgain,
        bool Listed,
        IReadOnlyList<DescribedTopic> Described,
        IReadOnlyList<SentBatch> Sent,
        IReadOnlyList<TopicOffsets> Offsets,
        IReadOnlyList<TimestampOffset> ByTimestamp);

    private sealed record DescribedTopic(string Name, IReadOnlyList<DescribedPartition> Partitions);

    private sealed record DescribedPartition(int Partition, int Leader, int ErrorCode);

    private sealed record SentBatch(int Partition, int ErrorCode, long BaseOffset);

    private sealed record TopicOffsets(int Partition, long Low, long High);

    private sealed record TimestampOffset(int Partition, long Offset);

    private sealed record DeleteResult(bool ListedBefore, bool ListedAfter);
}
