using Wharf.Common;

namespace Wharf.Metadata.Tests;

/// <summary>AlterConfigs and IncrementalAlterConfigs on topics.</summary>
public class ControllerConfigTests
{
    private readonly InMemoryMetadataLog _log = new();
    private readonly Controller _controller;

    public ControllerConfigTests()
    {
        _controller = new Controller(_log, MetadataImage.Empty("c", 1, 1), TestConfigs.Broker(), new ControllerOptions { SnapshotEveryRecords = 0 });
        _controller.CreateTopicsAsync(
            [new CreateTopicRequest("t", Configs: [new("retention.ms", "1000"), new("segment.bytes", "1048576")])], false, default).GetAwaiter().GetResult();
    }

    private IReadOnlyDictionary<string, string> Overrides => _controller.Current.GetTopicConfigs("t");

    [Fact]
    public async Task AlterConfigs_ReplacesEveryOverride()
    {
        var result = await Alter(new AlterConfigsResource(ConfigResourceType.Topic, "t", [new("retention.bytes", "5000")]));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(new Dictionary<string, string> { ["retention.bytes"] = "5000" }, Overrides);
    }

    [Fact]
    public async Task AlterConfigs_WithAnEmptyList_RemovesEveryOverride()
    {
        await Alter(new AlterConfigsResource(ConfigResourceType.Topic, "t", []));

        Assert.Empty(Overrides);
    }

    [Fact]
    public async Task AlterConfigs_WithABadValue_IsInvalidConfigAndChangesNothing()
    {
        var result = await Alter(new AlterConfigsResource(ConfigResourceType.Topic, "t", [new("retention.ms", "-7")]));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains("'retention.ms'", result.ErrorMessage);
        Assert.Equal("1000", Overrides["retention.ms"]);
    }

    [Fact]
    public async Task AlterConfigs_OfAnUnknownTopic_IsUnknownTopicOrPartition()
    {
        var result = await Alter(new AlterConfigsResource(ConfigResourceType.Topic, "nope", []));

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, result.Error);
    }

    [Fact]
    public async Task AlterConfigs_OfTheBroker_IsInvalidRequestBecauseBrokerConfigsAreStatic()
    {
        var result = await Alter(new AlterConfigsResource(ConfigResourceType.Broker, "1", [new("log.retention.ms", "1")]));

        Assert.Equal(ErrorCode.InvalidRequest, result.Error);
        Assert.Contains("static", result.ErrorMessage);
    }

    [Fact]
    public async Task AlterConfigs_ValidateOnly_ChangesNothing()
    {
        var results = await _controller.AlterConfigsAsync([new AlterConfigsResource(ConfigResourceType.Topic, "t", [])], true, default);

        Assert.Equal(ErrorCode.None, results[0].Error);
        Assert.Equal(2, Overrides.Count);
    }

    [Fact]
    public async Task AlterConfigs_NamingAResourceTwice_IsInvalidRequest()
    {
        var resource = new AlterConfigsResource(ConfigResourceType.Topic, "t", []);

        var results = await _controller.AlterConfigsAsync([resource, resource], false, default);

        Assert.All(results, r => Assert.Equal(ErrorCode.InvalidRequest, r.Error));
    }

    [Fact]
    public async Task IncrementalAlterConfigs_SetAndDelete_ChangeOnlyTheNamedKeys()
    {
        var result = await Incremental(
            new AlterableConfig("retention.ms", AlterConfigOperation.Set, "2000"),
            new AlterableConfig("segment.bytes", AlterConfigOperation.Delete, null),
            new AlterableConfig("max.message.bytes", AlterConfigOperation.Set, "5000"));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(new Dictionary<string, string> { ["retention.ms"] = "2000", ["max.message.bytes"] = "5000" }, Overrides);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_DeleteOfAKeyThatIsNotSet_IsANoOp()
    {
        var result = await Incremental(new AlterableConfig("retention.bytes", AlterConfigOperation.Delete, null));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(2, Overrides.Count);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_AppendToAListWithoutOverride_StartsFromTheEffectiveValue()
    {
        var result = await Incremental(new AlterableConfig("cleanup.policy", AlterConfigOperation.Append, "compact"));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal("delete,compact", Overrides["cleanup.policy"]);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_AppendOfAnItemAlreadyThere_DoesNotRepeatIt()
    {
        await Incremental(new AlterableConfig("cleanup.policy", AlterConfigOperation.Append, "delete,compact"));

        Assert.Equal("delete,compact", Overrides["cleanup.policy"]);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_Subtract_RemovesItems()
    {
        await Incremental(new AlterableConfig("cleanup.policy", AlterConfigOperation.Set, "compact,delete"));

        var result = await Incremental(new AlterableConfig("cleanup.policy", AlterConfigOperation.Subtract, "delete"));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal("compact", Overrides["cleanup.policy"]);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_SubtractingEveryItem_IsInvalidConfig()
    {
        var result = await Incremental(new AlterableConfig("cleanup.policy", AlterConfigOperation.Subtract, "delete"));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.False(Overrides.ContainsKey("cleanup.policy"));
    }

    [Fact]
    public async Task IncrementalAlterConfigs_AppendToANonListKey_IsInvalidConfig()
    {
        var result = await Incremental(new AlterableConfig("retention.ms", AlterConfigOperation.Append, "5"));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Equal("1000", Overrides["retention.ms"]);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_WithAnUnknownKey_IsInvalidConfigNamingTheClosestKey()
    {
        var result = await Incremental(new AlterableConfig("retension.ms", AlterConfigOperation.Set, "5"));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains("did you mean 'retention.ms'", result.ErrorMessage);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_WithAnInvalidValue_ChangesNothingOfTheResource()
    {
        var result = await Incremental(
            new AlterableConfig("retention.bytes", AlterConfigOperation.Set, "10"),
            new AlterableConfig("segment.ms", AlterConfigOperation.Set, "0"));

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.False(Overrides.ContainsKey("retention.bytes"));
    }

    [Fact]
    public async Task IncrementalAlterConfigs_NamingAKeyTwice_IsInvalidRequest()
    {
        var result = await Incremental(
            new AlterableConfig("retention.ms", AlterConfigOperation.Set, "1"),
            new AlterableConfig("retention.ms", AlterConfigOperation.Delete, null));

        Assert.Equal(ErrorCode.InvalidRequest, result.Error);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_WithAnUnknownOperation_IsInvalidRequest()
    {
        var result = await Incremental(new AlterableConfig("retention.ms", (AlterConfigOperation)9, "1"));

        Assert.Equal(ErrorCode.InvalidRequest, result.Error);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_WritesOnlyTheChangedKeys()
    {
        var before = _log.Batches.Count;

        await Incremental(
            new AlterableConfig("retention.ms", AlterConfigOperation.Set, "1000"),
            new AlterableConfig("retention.bytes", AlterConfigOperation.Set, "77"));

        var batch = _log.Batches[before];
        Assert.Equal([new ConfigRecord(ConfigResourceType.Topic, "t", "retention.bytes", "77")], batch.Records);
    }

    [Fact]
    public async Task DescribeThroughTheResolver_ShowsTheAlteredValueAsDynamicTopicConfig()
    {
        await Incremental(new AlterableConfig("retention.ms", AlterConfigOperation.Set, "4242"));

        var entry = Assert.Single(_controller.TopicConfigs.Describe(Overrides, ["retention.ms"]));

        Assert.Equal(("4242", Configuration.KafkaConfigSource.DynamicTopicConfig), (entry.Value, entry.Source));
    }

    private async Task<AlterConfigsResult> Alter(AlterConfigsResource resource) =>
        Assert.Single(await _controller.AlterConfigsAsync([resource], false, default));

    private async Task<AlterConfigsResult> Incremental(params AlterableConfig[] configs) =>
        Assert.Single(await _controller.IncrementalAlterConfigsAsync([new IncrementalAlterConfigsResource(ConfigResourceType.Topic, "t", configs)], false, default));
}
