using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

public class TopicConfigResolverTests
{
    private static readonly Dictionary<string, string> NoOverrides = [];

    [Fact]
    public void Describe_WithoutKeys_ListsEveryTopicConfigWithItsDefault()
    {
        var resolver = new TopicConfigResolver(BrokerConfig.Default);

        var entries = resolver.Describe(NoOverrides);

        Assert.Equal(ConfigCatalogue.TopicKeys.Select(k => k.Name), entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(KafkaConfigSource.DefaultConfig, e.Source));
        var retention = entries.Single(e => e.Name == "retention.ms");
        Assert.Equal("1209600000", retention.Value);
        Assert.Equal([new ConfigSynonym("log.retention.ms", "1209600000", KafkaConfigSource.DefaultConfig)], retention.Synonyms);
        Assert.Equal("delete", entries.Single(e => e.Name == "cleanup.policy").Value);
        Assert.Equal("1048588", entries.Single(e => e.Name == "max.message.bytes").Value);
    }

    [Fact]
    public void Describe_ReportsTopicOverrideThenBrokerSettingThenDefault()
    {
        var broker = BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = [new("log.retention.ms", "1000")] });
        var resolver = new TopicConfigResolver(broker);

        var entry = Assert.Single(resolver.Describe(new Dictionary<string, string> { ["retention.ms"] = "5000" }, ["retention.ms"]));

        Assert.Equal("5000", entry.Value);
        Assert.Equal(KafkaConfigSource.DynamicTopicConfig, entry.Source);
        Assert.False(entry.IsReadOnly);
        Assert.Equal(
            [
                new ConfigSynonym("retention.ms", "5000", KafkaConfigSource.DynamicTopicConfig),
                new ConfigSynonym("log.retention.ms", "1000", KafkaConfigSource.StaticBrokerConfig),
                new ConfigSynonym("log.retention.ms", "1209600000", KafkaConfigSource.DefaultConfig),
            ],
            entry.Synonyms);
    }

    [Fact]
    public void Resolve_WithABrokerSetting_ReportsStaticBrokerConfig()
    {
        var broker = BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = [new("log.segment.bytes", "1000000")] });

        var config = new TopicConfigResolver(broker).Resolve(NoOverrides);

        Assert.Equal(1000000, config.SegmentBytes);
        Assert.Equal(KafkaConfigSource.StaticBrokerConfig, config.Source("segment.bytes"));
        Assert.Equal(KafkaConfigSource.DefaultConfig, config.Source("retention.ms"));
    }

    [Fact]
    public void Resolve_WithOverrides_GivesTypedValues()
    {
        var config = new TopicConfigResolver(BrokerConfig.Default).Resolve(new Dictionary<string, string>
        {
            ["cleanup.policy"] = "compact,delete",
            ["retention.ms"] = "-1",
            ["min.cleanable.dirty.ratio"] = "0.25",
        });

        Assert.True(config.IsCompacted);
        Assert.Equal(["compact", "delete"], config.CleanupPolicy);
        Assert.Equal(-1L, config.RetentionMs);
        Assert.Equal(0.25, config.GetDouble("min.cleanable.dirty.ratio"));
        Assert.Equal(["compact", "delete"], config.GetList("cleanup.policy"));
    }

    [Fact]
    public void Resolve_WithAStoredOverrideThatNoLongerValidates_FallsBackToTheBroker()
    {
        var config = new TopicConfigResolver(BrokerConfig.Default).Resolve(new Dictionary<string, string> { ["segment.bytes"] = "1" });

        Assert.Equal(1 << 30, config.SegmentBytes);
    }

    [Fact]
    public void Validate_WithAnUnknownKey_IsInvalidConfigNamingTheClosestKey()
    {
        var result = new TopicConfigResolver(BrokerConfig.Default).Validate([new("retention.m", "1")]);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Equal("Unknown topic config 'retention.m'; did you mean 'retention.ms'?", result.Message);
    }

    [Fact]
    public void Validate_WithABrokerKey_PointsToTheTopicKey()
    {
        var result = new TopicConfigResolver(BrokerConfig.Default).Validate([new("log.retention.ms", "1")]);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains("'retention.ms'", result.Message);
    }

    [Theory]
    [InlineData("retention.ms", "soon")]
    [InlineData("retention.ms", "-5")]
    [InlineData("cleanup.policy", "shred")]
    [InlineData("message.timestamp.type", "WallClock")]
    [InlineData("min.cleanable.dirty.ratio", "1.5")]
    [InlineData("unclean.leader.election.enable", "maybe")]
    [InlineData("segment.bytes", "10")]
    public void Validate_WithABadValue_IsInvalidConfigNamingTheKey(string key, string value)
    {
        var result = new TopicConfigResolver(BrokerConfig.Default).Validate([new(key, value)]);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
        Assert.Contains($"'{key}'", result.Message);
    }

    [Fact]
    public void Validate_WithANullValue_IsInvalidConfig()
    {
        var result = new TopicConfigResolver(BrokerConfig.Default).Validate([new("retention.ms", null)]);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
    }

    [Fact]
    public void Validate_WithMinCompactionLagAboveMax_IsInvalidConfig()
    {
        var result = new TopicConfigResolver(BrokerConfig.Default).Validate([new("min.compaction.lag.ms", "10"), new("max.compaction.lag.ms", "5")]);

        Assert.Equal(ErrorCode.InvalidConfig, result.Error);
    }

    [Fact]
    public void Validate_WithGoodValues_IsValid()
    {
        var result = new TopicConfigResolver(BrokerConfig.Default).Validate([new("retention.ms", "1000"), new("cleanup.policy", "compact")]);

        Assert.True(result.IsValid);
    }

    [Fact]
    public void Resolve_UncleanLeaderElection_IsTheTopicOverride_ElseTheBrokerDefault()
    {
        var off = new TopicConfigResolver(BrokerConfig.Default);
        var on = new TopicConfigResolver(BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = [new("unclean.leader.election.enable", "true")] }));
        var overrideOff = new Dictionary<string, string> { ["unclean.leader.election.enable"] = "false" };
        var overrideOn = new Dictionary<string, string> { ["unclean.leader.election.enable"] = "true" };

        Assert.False(off.Resolve(new Dictionary<string, string>()).UncleanLeaderElectionEnable);
        Assert.True(on.Resolve(new Dictionary<string, string>()).UncleanLeaderElectionEnable);
        Assert.True(off.Resolve(overrideOn).UncleanLeaderElectionEnable);
        Assert.False(on.Resolve(overrideOff).UncleanLeaderElectionEnable);
        Assert.Null(ConfigCatalogue.Topic["unclean.leader.election.enable"].NoEffect);
        Assert.False(ConfigCatalogue.IsUnsupported("unclean.leader.election.enable"));
    }

    [Fact]
    public void EveryTopicKey_HasABrokerSynonymOfTheSameType_UnlessItIsWithoutEffectOrWharfsOwn()
    {
        string[] topicOnly = ["retention.consumed.groups"];
        foreach (var key in ConfigCatalogue.TopicKeys)
        {
            if (key.BrokerSynonym is null)
            {
                Assert.True(key.NoEffect is not null || topicOnly.Contains(key.Name), $"{key.Name} has no broker key");
                continue;
            }

            var broker = ConfigCatalogue.Broker[key.BrokerSynonym];
            Assert.Equal(broker.Type, key.Type);
        }
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("orders-queue", new[] { "orders-queue" })]
    [InlineData(" g1 , g2,", new[] { "g1", "g2" })]
    public void RetentionConsumedGroups_IsTheListedGroupIds_EmptyByDefault(string value, string[] expected)
    {
        var resolver = new TopicConfigResolver(BrokerConfig.Default);

        Assert.True(resolver.Validate([new("retention.consumed.groups", value)]).IsValid);
        Assert.Empty(resolver.Resolve(NoOverrides).RetentionConsumedGroups);
        Assert.Equal(expected, resolver.Resolve(new Dictionary<string, string> { ["retention.consumed.groups"] = value }).RetentionConsumedGroups);
        Assert.Null(ConfigCatalogue.Topic["retention.consumed.groups"].NoEffect);
        Assert.Null(ConfigCatalogue.Topic["retention.consumed.groups"].BrokerSynonym);
    }

    [Fact]
    public void Validate_RetentionConsumedGroups_RefusesARepeatedGroupAndAnOverlongId()
    {
        var resolver = new TopicConfigResolver(BrokerConfig.Default);

        var repeated = resolver.Validate([new("retention.consumed.groups", "g1,g2,g1")]);
        var overlong = resolver.Validate([new("retention.consumed.groups", "g1," + new string('x', 1025))]);

        Assert.Equal(ErrorCode.InvalidConfig, repeated.Error);
        Assert.Contains("'g1' appears twice", repeated.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidConfig, overlong.Error);
        Assert.Contains("longer than 1024", overlong.Message, StringComparison.Ordinal);
        Assert.True(resolver.Validate([new("retention.consumed.groups", "g1," + new string('x', 1024))]).IsValid);
    }

    [Theory]
    [InlineData("message.format.version", "2.8")]
    [InlineData("preallocate", "true")]
    public void Validate_AKeyKafkaClientsStillSend_IsAcceptedAndDescribedAsWithoutEffect(string key, string value)
    {
        var resolver = new TopicConfigResolver(BrokerConfig.Default);

        Assert.True(resolver.Validate([new(key, value)]).IsValid);
        var entry = Assert.Single(resolver.Describe(new Dictionary<string, string> { [key] = value }, [key]));
        Assert.Equal(value, entry.Value);
        Assert.NotNull(ConfigCatalogue.Topic[key].NoEffect);
    }

    [Fact]
    public void Describe_DoesNotCountAsAReadOfTheKey()
    {
        var broker = BrokerConfigLoader.Load(new BrokerConfigSources());
        var resolver = new TopicConfigResolver(broker);

        resolver.Describe(new Dictionary<string, string> { ["retention.ms"] = "1" });
        var config = resolver.Resolve(new Dictionary<string, string>());

        Assert.Empty(broker.Usage.TopicKeysRead);
        Assert.Empty(broker.Usage.BrokerKeysRead);
        _ = config.RetentionMs;
        Assert.Equal(["retention.ms"], broker.Usage.TopicKeysRead);
    }
}
