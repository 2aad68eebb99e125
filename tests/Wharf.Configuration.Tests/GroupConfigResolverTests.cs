using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

/// <summary>The share-group broker keys, the group keys (resource type GROUP) and their resolution.</summary>
public class GroupConfigResolverTests
{
    private static readonly Dictionary<string, string> NoOverrides = [];

    [Fact]
    public void BrokerDefaults_AreKafkasShareGroupDefaults()
    {
        var broker = BrokerConfig.Default;

        Assert.Equal(30_000, broker.ShareRecordLockDurationMs);
        Assert.Equal(15_000, broker.ShareMinRecordLockDurationMs);
        Assert.Equal(60_000, broker.ShareMaxRecordLockDurationMs);
        Assert.Equal(5, broker.ShareDeliveryCountLimit);
        Assert.Equal(2_000, broker.SharePartitionMaxRecordLocks);
        Assert.Equal(5_000, broker.ShareHeartbeatIntervalMs);
        Assert.Equal(45_000, broker.ShareSessionTimeoutMs);
        Assert.Equal(200, broker.ShareGroupMaxSize);
        Assert.Null(broker.ShareDeadLetterTopic);
    }

    [Theory]
    [InlineData("group.share.delivery.count.limit", "1", "[2,...,10]")]
    [InlineData("group.share.delivery.count.limit", "11", "[2,...,10]")]
    [InlineData("group.share.partition.max.record.locks", "99", "[100,...]")]
    [InlineData("group.share.dead.letter.topic", "no spaces", "letters, digits")]
    public void Load_WithAShareKeyOutOfRange_NamesTheKeyAndTheAllowedValues(string key, string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Load((key, value)));

        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithTheLockDurationOutsideItsBounds_Fails()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("group.share.record.lock.duration.ms", "70000")));

        Assert.Contains("'group.share.record.lock.duration.ms' must lie within", error.Message, StringComparison.Ordinal);
        Assert.Equal(70_000, Load(("group.share.record.lock.duration.ms", "70000"), ("group.share.max.record.lock.duration.ms", "90000")).ShareRecordLockDurationMs);
    }

    [Fact]
    public void Load_WithHeartbeatNotBelowSessionTimeout_Fails()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("group.share.heartbeat.interval.ms", "45000")));

        Assert.Contains("'group.share.heartbeat.interval.ms' must be less than 'group.share.session.timeout.ms'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("share.record.lock.duration.ms", "group.share.record.lock.duration.ms")]
    [InlineData("share.isolation.level", "IncrementalAlterConfigs")]
    public void Load_WithAGroupKeyInBrokerConfig_SaysItIsAGroupConfig(string key, string pointer)
    {
        var error = Assert.Throws<ConfigException>(() => Load((key, "read_committed")));

        Assert.Contains($"'{key}' is a group config", error.Message, StringComparison.Ordinal);
        Assert.Contains(pointer, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupKeys_AreTheShareGroupKeys_WithBrokerSynonymsWhereKafkaHasThem()
    {
        Assert.Equal(
            ["share.auto.offset.reset", "share.dead.letter.topic", "share.delivery.count.limit", "share.heartbeat.interval.ms",
             "share.isolation.level", "share.record.lock.duration.ms", "share.session.timeout.ms"],
            ConfigCatalogue.GroupKeys.Select(k => k.Name));
        Assert.All(ConfigCatalogue.GroupKeys, k => Assert.Equal(ConfigScope.Group, k.Scope));
        Assert.Equal("group.share.record.lock.duration.ms", ConfigCatalogue.Group["share.record.lock.duration.ms"].BrokerSynonym);
        Assert.Null(ConfigCatalogue.Group["share.auto.offset.reset"].BrokerSynonym);
        Assert.Null(ConfigCatalogue.Group["share.isolation.level"].BrokerSynonym);
    }

    [Fact]
    public void Describe_WithoutOverrides_GivesBrokerDefaultsAndOwnDefaults()
    {
        var entries = new GroupConfigResolver(BrokerConfig.Default).Describe(NoOverrides);

        Assert.Equal(ConfigCatalogue.GroupKeys.Select(k => k.Name), entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(KafkaConfigSource.DefaultConfig, e.Source));
        Assert.Equal("30000", entries.Single(e => e.Name == "share.record.lock.duration.ms").Value);
        Assert.Equal("latest", entries.Single(e => e.Name == "share.auto.offset.reset").Value);
        Assert.Equal("read_uncommitted", entries.Single(e => e.Name == "share.isolation.level").Value);
        Assert.Equal("", entries.Single(e => e.Name == "share.dead.letter.topic").Value);
    }

    [Fact]
    public void Describe_ReportsGroupOverrideThenBrokerSettingThenDefault()
    {
        var broker = Load(("group.share.delivery.count.limit", "7"));

        var entry = Assert.Single(new GroupConfigResolver(broker).Describe(
            new Dictionary<string, string> { ["share.delivery.count.limit"] = "3" }, ["share.delivery.count.limit", "not.a.group.key"]));

        Assert.Equal("3", entry.Value);
        Assert.Equal(KafkaConfigSource.DynamicGroupConfig, entry.Source);
        Assert.False(entry.IsReadOnly);
        Assert.Equal(
            [
                new ConfigSynonym("share.delivery.count.limit", "3", KafkaConfigSource.DynamicGroupConfig),
                new ConfigSynonym("group.share.delivery.count.limit", "7", KafkaConfigSource.StaticBrokerConfig),
                new ConfigSynonym("group.share.delivery.count.limit", "5", KafkaConfigSource.DefaultConfig),
            ],
            entry.Synonyms);
    }

    [Fact]
    public void Resolve_TakesOverridesThenBrokerValues()
    {
        var broker = Load(("group.share.session.timeout.ms", "60000"), ("group.share.dead.letter.topic", "dlq"));

        var config = new GroupConfigResolver(broker).Resolve(new Dictionary<string, string>
        {
            ["share.record.lock.duration.ms"] = "20000",
            ["share.isolation.level"] = "read_committed",
        });

        Assert.Equal(20_000, config.ShareRecordLockDurationMs);
        Assert.Equal("read_committed", config.ShareIsolationLevel);
        Assert.Equal(60_000, config.ShareSessionTimeoutMs);
        Assert.Equal("dlq", config.ShareDeadLetterTopic);
        Assert.Equal("latest", config.ShareAutoOffsetReset);
        Assert.Contains("share.isolation.level", broker.Usage.GroupKeysRead);
    }

    [Fact]
    public void Resolve_WithAStoredLockDurationOutsideTodaysBounds_UsesTheBrokerValue()
    {
        // Set while the broker allowed 90 s; the broker now allows at most 60 s.
        var config = new GroupConfigResolver(BrokerConfig.Default).Resolve(new Dictionary<string, string> { ["share.record.lock.duration.ms"] = "90000" });

        Assert.Equal(30_000, config.ShareRecordLockDurationMs);
    }

    [Theory]
    [InlineData("share.record.lock.duration.ms", "14999", "[15000,...,60000]")]
    [InlineData("share.record.lock.duration.ms", "60001", "group.share.max.record.lock.duration.ms")]
    [InlineData("share.delivery.count.limit", "11", "[2,...,10]")]
    [InlineData("share.auto.offset.reset", "by_duration:PT1H", "[latest, earliest]")]
    [InlineData("share.isolation.level", "serializable", "[read_uncommitted, read_committed]")]
    [InlineData("share.session.timeout.ms", "abc", "expected a 32-bit integer")]
    public void ValidateOne_WithABadValue_IsInvalidConfigNamingTheKey(string key, string value, string expected)
    {
        var result = new GroupConfigResolver(BrokerConfig.Default).ValidateOne(key, value);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains($"'{key}'", result.Message, StringComparison.Ordinal);
        Assert.Contains(expected, result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("group.share.record.lock.duration.ms", "the group config is 'share.record.lock.duration.ms'")]
    [InlineData("share.record.lock.duraton.ms", "share.record.lock.duration.ms")]
    [InlineData("retention.ms", "Unknown group config 'retention.ms'")]
    public void ValidateOne_WithAKeyThatIsNoGroupKey_SaysWhatToUseInstead(string key, string expected)
    {
        var result = new GroupConfigResolver(BrokerConfig.Default).ValidateOne(key, "1");

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains(expected, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithHeartbeatNotBelowTheEffectiveSessionTimeout_IsInvalid()
    {
        var resolver = new GroupConfigResolver(BrokerConfig.Default);

        var result = resolver.Validate([new("share.session.timeout.ms", "4000")]);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains("'share.heartbeat.interval.ms' (5000) must be less than 'share.session.timeout.ms' (4000)", result.Message, StringComparison.Ordinal);
        Assert.True(resolver.Validate([new("share.session.timeout.ms", "4000"), new("share.heartbeat.interval.ms", "1000")]).IsValid);
    }

    private static BrokerConfig Load(params (string Key, string Value)[] overrides) =>
        BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = overrides.Select(o => new KeyValuePair<string, string>(o.Key, o.Value)).ToArray() });
}
