using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// Group configs (KIP-848 resource type GROUP) through Confluent.Kafka's admin client: set on a group that does not
/// exist yet, described with their sources, refused with a message when the key or value is wrong, kept over a restart.
/// </summary>
public sealed class GroupConfigTests : IAsyncLifetime
{
    private static readonly ConfigResource Workers = new() { Type = ResourceType.Group, Name = "workers" };

    private WharfBroker _broker = null!;
    private IAdminClient _admin = null!;

    public async Task InitializeAsync()
    {
        _broker = await WharfBroker.StartAsync();
        _admin = NewAdmin();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task IncrementalAlterConfigs_OnAGroup_IsDescribedAsGroupConfig_AndSurvivesARestart()
    {
        await _admin.IncrementalAlterConfigsAsync(new()
        {
            [Workers] =
            [
                new ConfigEntry { Name = "share.record.lock.duration.ms", Value = "20000", IncrementalOperation = AlterConfigOpType.Set },
                new ConfigEntry { Name = "share.isolation.level", Value = "read_committed", IncrementalOperation = AlterConfigOpType.Set },
            ],
        });

        var described = (await _admin.DescribeConfigsAsync([Workers]))[0];

        Assert.Equal(ResourceType.Group, described.ConfigResource.Type);
        Assert.Equal("20000", described.Entries["share.record.lock.duration.ms"].Value);
        Assert.Equal(ConfigSource.GroupConfig, described.Entries["share.record.lock.duration.ms"].Source);
        Assert.False(described.Entries["share.record.lock.duration.ms"].IsDefault);
        Assert.Equal("read_committed", described.Entries["share.isolation.level"].Value);
        Assert.Equal("5", described.Entries["share.delivery.count.limit"].Value);
        Assert.Equal(ConfigSource.DefaultConfig, described.Entries["share.delivery.count.limit"].Source);
        Assert.True(described.Entries["share.delivery.count.limit"].IsDefault);
        Assert.Equal("latest", described.Entries["share.auto.offset.reset"].Value);
        Assert.Equal(
            ["share.auto.offset.reset", "share.dead.letter.topic", "share.delivery.count.limit", "share.heartbeat.interval.ms",
             "share.isolation.level", "share.record.lock.duration.ms", "share.session.timeout.ms"],
            described.Entries.Keys.Order(StringComparer.Ordinal));

        _admin.Dispose();
        await _broker.RestartAsync();
        _admin = NewAdmin();

        var afterRestart = (await _admin.DescribeConfigsAsync([Workers]))[0];
        Assert.Equal("20000", afterRestart.Entries["share.record.lock.duration.ms"].Value);
        Assert.Equal(ConfigSource.GroupConfig, afterRestart.Entries["share.record.lock.duration.ms"].Source);
    }

    [Theory]
    [InlineData("group.share.record.lock.duration.ms", "20000", "'group.share.record.lock.duration.ms' is a broker config; the group config is 'share.record.lock.duration.ms'")]
    [InlineData("retention.ms", "1000", "Unknown group config 'retention.ms'")]
    [InlineData("share.record.lock.duration.ms", "90000", "must be in [15000,...,60000]")]
    [InlineData("share.isolation.level", "serializable", "must be one of [read_uncommitted, read_committed]")]
    public async Task IncrementalAlterConfigs_OnAGroupWithABadKeyOrValue_IsRefusedWithAMessageNamingTheKey(string key, string value, string message)
    {
        var refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => _admin.IncrementalAlterConfigsAsync(
            new() { [Workers] = [new ConfigEntry { Name = key, Value = value, IncrementalOperation = AlterConfigOpType.Set }] }));

        var result = Assert.Single(refused.Results);
        Assert.Equal(ErrorCode.InvalidConfig, result.Error.Code);
        Assert.Contains(message, result.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(ConfigSource.DefaultConfig, (await _admin.DescribeConfigsAsync([Workers]))[0].Entries[key.StartsWith("share.", StringComparison.Ordinal) ? key : "share.record.lock.duration.ms"].Source);
    }

    private IAdminClient NewAdmin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.BootstrapServers }).Build();
}
