using System.Text.Json.Serialization;
using Wharf.Compat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests;

/// <summary>kafka-python 2.0.2 (Debian python3-kafka): producer, group-less consumer and admin client.</summary>
public sealed class KafkaPythonTests(ITestOutputHelper output)
{
    private const int RecordCount = 100;

    [RequiresToolTheory(ExternalTool.KafkaPython)]
    [InlineData("none")]
    [InlineData("gzip")]
    public async Task ProducerThenAssignedConsumer_WithCodec_ReadsEveryKeyedRecordWithHeadersInOrder(string codec)
    {
        ExternalTools.Require(ExternalTool.KafkaPython);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("py-" + codec);
        await broker.CreateTopicAsync(topic, partitions: 1);

        var result = await Scripts.RunPythonAsync<RoundTrip>("roundtrip.py", broker.BootstrapServers, topic, RecordCount.ToString(System.Globalization.CultureInfo.InvariantCulture), codec);
        output.WriteLine($"kafka-python inferred broker version {string.Join('.', result.ApiVersion)}");

        Assert.Equal(Enumerable.Range(0, RecordCount).Select(i => (0, (long)i)), result.Produced.Select(p => (p.Partition, p.Offset)));
        Assert.Equal(RecordCount, result.Consumed.Count);
        for (var i = 0; i < RecordCount; i++)
        {
            var record = result.Consumed[i];
            Assert.Equal((0, (long)i), (record.Partition, record.Offset));
            Assert.Equal($"key-{i % 5}", record.Key);
            Assert.Equal($"value-{i:D4}-kafka-python-naïve-☃", record.Value);
            Assert.Equal([["seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture)], ["client", "kafka-python"]], record.Headers);
        }
    }

    [RequiresToolFact(ExternalTool.KafkaPython)]
    public async Task AdminClient_CreateListDeleteTopic_ReportsEachStep()
    {
        ExternalTools.Require(ExternalTool.KafkaPython);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("py-admin");

        var result = await Scripts.RunPythonAsync<AdminResult>("admin.py", broker.BootstrapServers, topic, "3");

        Assert.Equal([(topic, 0)], result.CreateErrors.Select(e => (e[0].GetString(), e[1].GetInt32())));
        Assert.True(result.ListedAfterCreate, "list_topics did not show the created topic");
        Assert.Equal([0, 1, 2], result.Partitions);
        Assert.Equal([(topic, 36)], result.CreateAgainErrors.Select(e => (e[0].GetString(), e[1].GetInt32()))); // TOPIC_ALREADY_EXISTS
        Assert.Equal([(topic, 0)], result.DeleteErrors.Select(e => (e[0].GetString(), e[1].GetInt32())));
        Assert.False(result.ListedAfterDelete, "list_topics still shows the deleted topic");
        Assert.False(broker.Controller.Current.TryGetTopic(topic, out _), "the broker still has the deleted topic");
    }

    private sealed record RoundTrip(
        [property: JsonPropertyName("api_version")] IReadOnlyList<int> ApiVersion,
        IReadOnlyList<ProducedRecord> Produced,
        IReadOnlyList<ConsumedRecord> Consumed);

    private sealed record ProducedRecord(int Partition, long Offset);

    private sealed record ConsumedRecord(int Partition, long Offset, string? Key, string? Value, IReadOnlyList<IReadOnlyList<string>> Headers);

    private sealed record AdminResult(
        [property: JsonPropertyName("create_errors")] IReadOnlyList<System.Text.Json.JsonElement[]> CreateErrors,
        [property: JsonPropertyName("listed_after_create")] bool ListedAfterCreate,
        IReadOnlyList<int> Partitions,
        [property: JsonPropertyName("create_again_errors")] IReadOnlyList<System.Text.Json.JsonElement[]> CreateAgainErrors,
        [property: JsonPropertyName("delete_errors")] IReadOnlyList<System.Text.Json.JsonElement[]> DeleteErrors,
        [property: JsonPropertyName("listed_after_delete")] bool ListedAfterDelete);
}
