using Wharf.Configuration;
using Wharf.Coordinator.Share;

namespace Wharf.Server.Tests;

/// <summary>Each group key and share broker key reaches the <see cref="ShareGroupSettings"/> field it names.</summary>
public class ShareGroupConfigsTests
{
    private static readonly Dictionary<string, string> NoOverrides = [];

    [Fact]
    public void Resolve_WithCatalogueDefaults_EqualsTheSettingsDefault()
    {
        Assert.Equal(ShareGroupSettings.Default, ShareGroupConfigs.Resolve(Broker(), NoOverrides));
    }

    public static TheoryData<string, string, Func<ShareGroupSettings, object?>, object?> GroupKeysAndTheirSettings() => new()
    {
        { "share.record.lock.duration.ms", "20000", s => s.RecordLockDurationMs, 20_000 },
        { "share.delivery.count.limit", "3", s => s.DeliveryCountLimit, 3 },
        { "share.auto.offset.reset", "earliest", s => s.AutoOffsetReset, ShareOffsetReset.Earliest },
        { "share.isolation.level", "read_committed", s => s.ReadCommitted, true },
        { "share.dead.letter.topic", "workers-dlq", s => s.DeadLetterTopic, "workers-dlq" },
        { "share.heartbeat.interval.ms", "2000", s => s.HeartbeatIntervalMs, 2_000 },
        { "share.session.timeout.ms", "30000", s => s.SessionTimeoutMs, 30_000 },
    };

    [Theory]
    [MemberData(nameof(GroupKeysAndTheirSettings))]
    public void GroupKey_ReachesItsSetting(string key, string value, Func<ShareGroupSettings, object?> setting, object? expected)
    {
        Assert.NotEqual(expected, setting(ShareGroupConfigs.Resolve(Broker(), NoOverrides)));
        Assert.Equal(expected, setting(ShareGroupConfigs.Resolve(Broker(), new Dictionary<string, string> { [key] = value })));
    }

    [Fact]
    public void BrokerKeys_ReachTheSettingsOfAGroupWithoutOverrides()
    {
        var broker = Broker(
            ("group.share.record.lock.duration.ms", "40000"), ("group.share.delivery.count.limit", "7"),
            ("group.share.partition.max.record.locks", "500"), ("group.share.heartbeat.interval.ms", "3000"),
            ("group.share.session.timeout.ms", "60000"), ("group.share.dead.letter.topic", "all-dlq"));

        var settings = ShareGroupConfigs.Resolve(broker, NoOverrides);

        Assert.Equal(new ShareGroupSettings(40_000, 7, ShareOffsetReset.Latest, false, "all-dlq", 3_000, 60_000, 500), settings);
    }

    [Fact]
    public void Resolve_WithALockDurationOutsideTheBrokersBounds_TakesTheBrokerValue()
    {
        var broker = Broker(("group.share.max.record.lock.duration.ms", "40000"));

        Assert.Equal(30_000, ShareGroupConfigs.Resolve(broker, new Dictionary<string, string> { ["share.record.lock.duration.ms"] = "50000" }).RecordLockDurationMs);
        Assert.Equal(40_000, ShareGroupConfigs.Resolve(broker, new Dictionary<string, string> { ["share.record.lock.duration.ms"] = "40000" }).RecordLockDurationMs);
    }

    private static BrokerConfig Broker(params (string Key, string Value)[] overrides) =>
        BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = overrides.Select(o => new KeyValuePair<string, string>(o.Key, o.Value)).ToArray() });
}
