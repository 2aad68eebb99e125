using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>AlterConfigs and IncrementalAlterConfigs on group resources (KIP-848 resource type GROUP).</summary>
public class ControllerGroupConfigTests
{
    private readonly InMemoryMetadataLog _log = new();
    private readonly Controller _controller;

    public ControllerGroupConfigTests()
    {
        _controller = new Controller(_log, MetadataImage.Empty("c", 1, 1), TestConfigs.Broker(), new ControllerOptions { SnapshotEveryRecords = 0 });
    }

    private IReadOnlyDictionary<string, string> Overrides => _controller.Current.GetGroupConfigs("workers");

    [Fact]
    public async Task IncrementalAlterConfigs_OfAGroupThatDoesNotExist_StoresTheOverrides()
    {
        var result = await Incremental(
            new AlterableConfig("share.record.lock.duration.ms", AlterConfigOperation.Set, "20000"),
            new AlterableConfig("share.isolation.level", AlterConfigOperation.Set, " read_committed "));

        Assert.Equal((ErrorCode.None, ConfigResourceType.Group, "workers"), (result.Error, result.Type, result.Name));
        Assert.Equal(new Dictionary<string, string> { ["share.isolation.level"] = "read_committed", ["share.record.lock.duration.ms"] = "20000" }, Overrides);
        Assert.Empty(_controller.Current.TopicConfigs);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_Delete_RemovesTheOverrideAndWritesOneGroupRecord()
    {
        await Incremental(new AlterableConfig("share.delivery.count.limit", AlterConfigOperation.Set, "3"));
        var before = _log.Batches.Count;

        var result = await Incremental(new AlterableConfig("share.delivery.count.limit", AlterConfigOperation.Delete, null));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Empty(Overrides);
        Assert.Equal([new ConfigRecord(ConfigResourceType.Group, "workers", "share.delivery.count.limit", null)], _log.Batches[before].Records);
    }

    [Theory]
    [InlineData("retention.ms", "1000", "Unknown group config 'retention.ms'")]
    [InlineData("group.share.record.lock.duration.ms", "20000", "the group config is 'share.record.lock.duration.ms'")]
    [InlineData("share.record.lock.duration.ms", "90000", "must be in [15000,...,60000]")]
    [InlineData("share.delivery.count.limit", "1", "must be in [2,...,10]")]
    [InlineData("share.auto.offset.reset", "sometime", "must be one of [latest, earliest]")]
    public async Task IncrementalAlterConfigs_WithABadKeyOrValue_IsInvalidConfigAndChangesNothing(string key, string value, string expected)
    {
        var result = await Incremental(
            new AlterableConfig("share.session.timeout.ms", AlterConfigOperation.Set, "50000"),
            new AlterableConfig(key, AlterConfigOperation.Set, value));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains(expected, result.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(Overrides);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_AppendToAGroupKey_IsInvalidConfig()
    {
        var result = await Incremental(new AlterableConfig("share.dead.letter.topic", AlterConfigOperation.Append, "dlq"));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains("is not a list", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_WithHeartbeatNotBelowTheStoredSessionTimeout_IsInvalidConfig()
    {
        await Incremental(new AlterableConfig("share.session.timeout.ms", AlterConfigOperation.Set, "10000"));

        var result = await Incremental(new AlterableConfig("share.heartbeat.interval.ms", AlterConfigOperation.Set, "10000"));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains("must be less than 'share.session.timeout.ms' (10000)", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["share.session.timeout.ms"] = "10000" }, Overrides);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_OfAGroupWithoutId_IsInvalidRequest()
    {
        var results = await _controller.IncrementalAlterConfigsAsync(
            [new IncrementalAlterConfigsResource(ConfigResourceType.Group, "", [new AlterableConfig("share.delivery.count.limit", AlterConfigOperation.Set, "3")])],
            false, default);

        Assert.Equal(ErrorCode.InvalidRequest, Assert.Single(results).Error);
    }

    [Fact]
    public async Task AlterConfigs_ReplacesEveryGroupOverride()
    {
        await Incremental(new AlterableConfig("share.delivery.count.limit", AlterConfigOperation.Set, "3"));

        var result = Assert.Single(await _controller.AlterConfigsAsync(
            [new AlterConfigsResource(ConfigResourceType.Group, "workers", [new("share.auto.offset.reset", "earliest")])], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(new Dictionary<string, string> { ["share.auto.offset.reset"] = "earliest" }, Overrides);
    }

    [Fact]
    public async Task AlterConfigs_OfAGroupWithATopicKey_IsInvalidConfig()
    {
        var result = Assert.Single(await _controller.AlterConfigsAsync(
            [new AlterConfigsResource(ConfigResourceType.Group, "workers", [new("retention.ms", "1000")])], false, default));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Empty(Overrides);
    }

    [Fact]
    public async Task DescribeThroughTheResolver_ShowsTheAlteredValueAsDynamicGroupConfig()
    {
        await Incremental(new AlterableConfig("share.record.lock.duration.ms", AlterConfigOperation.Set, "45000"));

        var entry = Assert.Single(_controller.GroupConfigs.Describe(Overrides, ["share.record.lock.duration.ms"]));

        Assert.Equal(("45000", KafkaConfigSource.DynamicGroupConfig), (entry.Value, entry.Source));
    }

    private async Task<AlterConfigsResult> Incremental(params AlterableConfig[] configs) =>
        Assert.Single(await _controller.IncrementalAlterConfigsAsync([new IncrementalAlterConfigsResource(ConfigResourceType.Group, "workers", configs)], false, default));
}
