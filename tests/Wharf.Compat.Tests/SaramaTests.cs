using Wharf.Compat.Tests.Infrastructure;
using Wharf.Protocol;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests;

/// <summary>
/// Debian's Go sarama 1.22 at its default protocol version (0.8.2), as lag monitors built on it (Burrow) run it:
/// ListOffsets v0, FindCoordinator v0, OffsetCommit v1 and OffsetFetch v1 — versions Kafka 4.0 no longer serves.
/// </summary>
public sealed class SaramaTests(ITestOutputHelper output)
{
    [RequiresToolFact(ExternalTool.Sarama)]
    public async Task DefaultVersionClient_ListsOffsetsWithV0_AndCommitsAndReadsBackWithV1()
    {
        ExternalTools.Require(ExternalTool.Sarama);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("sarama");
        await broker.CreateTopicAsync(topic, partitions: 1);

        var result = await Scripts.RunGoAsync<SaramaResult>("sarama-legacy", broker.BootstrapServers, topic, "sarama-group", "25");

        Assert.Equal("0.8.2.0", result.ClientVersion);
        Assert.Equal((25, 25L, 0L), (result.Produced, result.Newest, result.Oldest));
        Assert.Equal(-2, result.InitialNext); // nothing committed yet: sarama's "use Consumer.Offsets.Initial" (oldest)
        Assert.Equal((23L, "sarama-meta"), (result.ReadBackNext, result.ReadBackMetadata));
        var seen = broker.RequestVersions.ToHashSet();
        output.WriteLine("sarama sent: " + string.Join(", ", seen.OrderBy(s => s.Api).ThenBy(s => s.Version).Select(s => $"{s.Api} v{s.Version}")));
        Assert.Contains((ApiKey.ListOffsets, (short)0), seen);
        Assert.Contains((ApiKey.OffsetCommit, (short)1), seen);
        Assert.Contains((ApiKey.OffsetFetch, (short)1), seen);
        Assert.Contains((ApiKey.FindCoordinator, (short)0), seen);
        Assert.Contains((ApiKey.Metadata, (short)0), seen);
    }

    private sealed record SaramaResult(
        string ClientVersion,
        int Produced,
        long Newest,
        long Oldest,
        long Committed,
        long InitialNext,
        long ReadBackNext,
        string ReadBackMetadata);
}
