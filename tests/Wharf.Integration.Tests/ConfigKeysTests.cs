using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Metadata.Etcd;
using CompressionType = Wharf.Records.CompressionType;
using TimestampType = Wharf.Records.TimestampType;
using Wharf.Server;
using Wharf.Storage;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// Every config key is honest: a catalogued key is read by the broker (or is a topic key documented as having no
/// effect, which nothing may read), the storage's <see cref="LogConfig"/> is built from the one catalogue, and each
/// key reaches the setting it names.
/// </summary>
public sealed class ConfigKeysTests
{
    /// <summary>
    /// Broker keys whose reader is being built on another branch, each with that reader. Visible on purpose: the entry
    /// goes when the reader lands, and <see cref="AwaitingKeys_AreStillCatalogued"/> keeps the list from going stale.
    /// </summary>
    private static readonly Dictionary<string, string> AwaitingTheirReader = new(StringComparer.Ordinal)
    {
    };

    [Fact]
    public void AwaitingKeys_AreStillCatalogued()
    {
        Assert.All(AwaitingTheirReader.Keys, k => Assert.Contains(k, ConfigCatalogue.Broker.Keys));
    }

    [Fact]
    public async Task EveryCataloguedKey_IsReadByARunningBroker_OrDocumentedAsWithoutEffect()
    {
        await using var broker = await WharfBroker.StartAsync();
        await DriveOrdinaryPathsAsync(broker.BootstrapServers);

        var usage = broker.Config.Usage;
        var topicKeysRead = usage.TopicKeysRead.ToHashSet(StringComparer.Ordinal);
        var groupKeysRead = usage.GroupKeysRead.ToHashSet(StringComparer.Ordinal);
        var brokerKeysRead = usage.BrokerKeysRead.ToHashSet(StringComparer.Ordinal);

        // Cluster keys: read by a cluster member and by the etcd options the exe builds from a config. Stopping the member
        // fences it, which elects new leaders for its partitions (reading unclean.leader.election.enable).
        var member = await InProcessBroker.StartClusterMemberAsync(new InMemoryMetadataStore(), 1);
        await using (member)
        {
            await member.CreateTopicAsync("led-by-the-member");
        }

        brokerKeysRead.UnionWith(member.Broker.Config.Usage.BrokerKeysRead);
        topicKeysRead.UnionWith(member.Broker.Config.Usage.TopicKeysRead);

        var clusterConfig = BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = [new("etcd.connect", "127.0.0.1:2379/keys")] });
        _ = EtcdMetadataOptions.From(clusterConfig);
        brokerKeysRead.UnionWith(clusterConfig.Usage.BrokerKeysRead);
        // Share-group keys: read by the settings the share coordinator resolves per use (ShareGroupConfigs), for a group
        // with every override and for one with none.
        var shareConfig = BrokerConfigLoader.Load(new BrokerConfigSources());
        _ = ShareGroupConfigs.Resolve(shareConfig, new Dictionary<string, string>());
        _ = ShareGroupConfigs.Resolve(shareConfig, ConfigCatalogue.GroupKeys.ToDictionary(k => k.Name, k => ConfigDefinition.Format(k.DefaultValue)!));
        brokerKeysRead.UnionWith(shareConfig.Usage.BrokerKeysRead);
        groupKeysRead.UnionWith(shareConfig.Usage.GroupKeysRead);

        foreach (var topicKey in ConfigCatalogue.TopicKeys.Where(k => topicKeysRead.Contains(k.Name) && k.BrokerSynonym is not null))
        {
            brokerKeysRead.Add(topicKey.BrokerSynonym!); // a topic key's default is its broker key
        }

        foreach (var key in ConfigCatalogue.BrokerKeys.Where(k => brokerKeysRead.Contains(k.Name)).ToList())
        {
            brokerKeysRead.UnionWith(key.Fallbacks.Select(f => f.Key)); // older keys stand in for a read key
        }

        var unreadBrokerKeys = ConfigCatalogue.BrokerKeys.Select(k => k.Name).Where(k => !brokerKeysRead.Contains(k) && !AwaitingTheirReader.ContainsKey(k)).ToList();
        var unreadTopicKeys = ConfigCatalogue.TopicKeys.Where(k => k.NoEffect is null && !topicKeysRead.Contains(k.Name)).Select(k => k.Name).ToList();
        var unreadGroupKeys = ConfigCatalogue.GroupKeys.Where(k => !groupKeysRead.Contains(k.Name)).Select(k => k.Name).ToList();
        var readButDocumentedAsWithoutEffect = ConfigCatalogue.TopicKeys.Where(k => k.NoEffect is not null && topicKeysRead.Contains(k.Name)).Select(k => k.Name).ToList();

        Assert.True(unreadBrokerKeys.Count == 0, "Broker keys nothing reads (make them take effect or move them to the unsupported list): " + string.Join(", ", unreadBrokerKeys));
        Assert.True(unreadTopicKeys.Count == 0, "Topic keys nothing reads (make them take effect or document them as without effect): " + string.Join(", ", unreadTopicKeys));
        Assert.True(unreadGroupKeys.Count == 0, "Group keys nothing reads: " + string.Join(", ", unreadGroupKeys));
        Assert.True(readButDocumentedAsWithoutEffect.Count == 0, "Topic keys documented as without effect that are read: " + string.Join(", ", readButDocumentedAsWithoutEffect));
    }

    [Fact]
    public void LogConfigDefault_EqualsTheLogConfigBuiltFromTheCatalogueDefaults()
    {
        var fromCatalogue = LogConfigs.For(new TopicConfigResolver(BrokerConfigLoader.Load(new BrokerConfigSources())), new Dictionary<string, string>());

        Assert.Equal(LogConfig.Default, fromCatalogue);
    }

    public static TheoryData<string, string, Func<LogConfig, object?>, object?> TopicKeysAndTheirSettings() => new()
    {
        { "segment.bytes", "4096", c => c.SegmentBytes, 4096 },
        { "segment.ms", "5000", c => c.SegmentMs, 5000L },
        { "segment.jitter.ms", "700", c => c.SegmentJitterMs, 700L },
        { "segment.index.bytes", "800", c => c.SegmentIndexBytes, 800 },
        { "retention.ms", "-1", c => c.RetentionMs, -1L },
        { "retention.bytes", "12345", c => c.RetentionBytes, 12345L },
        { "cleanup.policy", "compact,delete", c => c.CleanupPolicy, CleanupPolicy.Compact | CleanupPolicy.Delete },
        { "delete.retention.ms", "10", c => c.DeleteRetentionMs, 10L },
        { "min.compaction.lag.ms", "11", c => c.MinCompactionLagMs, 11L },
        { "file.delete.delay.ms", "12", c => c.FileDeleteDelayMs, 12L },
        { "index.interval.bytes", "13", c => c.IndexIntervalBytes, 13 },
        { "max.message.bytes", "14", c => c.MaxMessageBytes, 14 },
        { "message.timestamp.type", "LogAppendTime", c => c.MessageTimestampType, TimestampType.LogAppendTime },
        { "message.timestamp.before.max.ms", "15", c => c.MessageTimestampBeforeMaxMs, 15L },
        { "message.timestamp.after.max.ms", "16", c => c.MessageTimestampAfterMaxMs, 16L },
        { "compression.type", "zstd", c => c.Compression, CompressionType.Zstd },
        { "compression.type", "uncompressed", c => c.Compression, CompressionType.None },
        { "min.insync.replicas", "2", c => c.MinInsyncReplicas, 2 },
    };

    [Theory]
    [MemberData(nameof(TopicKeysAndTheirSettings))]
    public void TopicKey_ReachesItsLogConfigSetting(string key, string value, Func<LogConfig, object?> setting, object? expected)
    {
        var resolver = new TopicConfigResolver(BrokerConfigLoader.Load(new BrokerConfigSources()));

        Assert.NotEqual(expected, setting(LogConfigs.For(resolver, new Dictionary<string, string>())));
        Assert.Equal(expected, setting(LogConfigs.For(resolver, new Dictionary<string, string> { [key] = value })));
    }

    [Fact]
    public void BrokerStorageKeys_ReachTheLogManagerOptions()
    {
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Overrides =
            [
                new("log.cleaner.enable", "false"), new("log.cleaner.backoff.ms", "1234"), new("log.retention.check.interval.ms", "2345"),
                new("log.flush.mode", "interval"), new("log.flush.interval.ms", "3456"), new("producer.id.expiration.ms", "4567"),
                new("log.segment.delete.delay.ms", "5678"), new("log.roll.jitter.hours", "2"), new("compression.type", "gzip"),
            ],
        });

        var options = LogManagerSetup.Options(config, new TopicConfigResolver(config), _ => new Dictionary<string, string>());

        Assert.False(options.CleanerEnable);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), options.CleanerBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(2345), options.RetentionCheckInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(3456), options.FlushInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(4567), options.ProducerIdExpiration);
        Assert.Equal(5678, options.DefaultConfig.FileDeleteDelayMs);
        Assert.Equal(2 * 3_600_000L, options.DefaultConfig.SegmentJitterMs);
        Assert.Equal(CompressionType.Gzip, options.DefaultConfig.Compression);
        Assert.Equal(LogFlushMode.Interval, options.DefaultConfig.FlushMode);
    }

    /// <summary>Start-up reads most keys; these paths read the rest (auto-create, fetch, delete).</summary>
    private static async Task DriveOrdinaryPathsAsync(string bootstrap)
    {
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All }).Build())
        {
            await producer.ProduceAsync("usage", new Message<Null, string> { Value = "v" });
        }

        using (var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "usage" }).Build())
        {
            consumer.Assign(new TopicPartitionOffset("usage", 0, Offset.Beginning));
            Assert.Equal("v", consumer.Consume(TimeSpan.FromSeconds(10))?.Message.Value);
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.DeleteTopicsAsync(["usage"]);
    }
}
