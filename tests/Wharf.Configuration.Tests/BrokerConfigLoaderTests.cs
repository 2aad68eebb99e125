using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

public sealed class BrokerConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wharf-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_WithNoSources_GivesTheDocumentedDefaults()
    {
        var config = BrokerConfig.Default;

        Assert.Equal(1, config.NodeId);
        Assert.Equal([new Listener("PLAINTEXT", "127.0.0.1", 9092)], config.Listeners);
        Assert.Equal(config.Listeners, config.AdvertisedListeners);
        Assert.Equal(["./wharf-data"], config.LogDirs);
        Assert.Equal(1, config.NumPartitions);
        Assert.Equal(3, config.DefaultReplicationFactor);
        Assert.False(config.IsExplicitlySet("default.replication.factor"));
        Assert.True(config.AutoCreateTopicsEnable);
        Assert.Equal(1048588, config.MessageMaxBytes);
        Assert.Equal(104857600, config.SocketRequestMaxBytes);
        Assert.Equal(1209600000L, config.LogRetentionMs);
        Assert.Equal(-1L, config.LogRetentionBytes);
        Assert.Equal(1073741824, config.LogSegmentBytes);
        Assert.Equal(604800000L, config.LogRollMs);
        Assert.Equal(300000L, config.LogRetentionCheckIntervalMs);
        Assert.Equal("ack", config.LogFlushMode);
        Assert.Equal(1000L, config.LogFlushIntervalMs);
        Assert.Equal(1, config.MinInsyncReplicas);
        Assert.Equal(50, config.OffsetsTopicNumPartitions);
        Assert.Equal(10080, config.OffsetsRetentionMinutes);
        Assert.Equal(0, config.GroupInitialRebalanceDelayMs);
        Assert.Null(config.ClusterId);
        Assert.True(config.LogCleanerEnable);
        Assert.Equal(ConfigSource.Default, config.Source("log.retention.ms"));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void Load_WhenEverySourceSetsAKey_LaterSourcesWin()
    {
        var file = WriteFile("num.partitions=2\nlog.retention.bytes=100\nmessage.max.bytes=5000\n");
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            ConfigFile = file,
            Environment = new Dictionary<string, string> { ["WHARF_NUM_PARTITIONS"] = "3", ["WHARF_LOG_RETENTION_BYTES"] = "200" },
            Overrides = [new("num.partitions", "4")],
        });

        Assert.Equal(4, config.NumPartitions);
        Assert.Equal(ConfigSource.Override, config.Source("num.partitions"));
        Assert.Equal(200L, config.LogRetentionBytes);
        Assert.Equal(ConfigSource.Environment, config.Source("log.retention.bytes"));
        Assert.Equal(5000, config.MessageMaxBytes);
        Assert.Equal(ConfigSource.File, config.Source("message.max.bytes"));
        Assert.Equal(ConfigSource.Default, config.Source("log.segment.bytes"));
    }

    [Fact]
    public void Load_WithAMisspeltKey_NamesTheClosestValidKey()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("log.retention.m", "5")));

        Assert.StartsWith("Unknown config 'log.retention.m'; did you mean 'log.retention.ms'?", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WithAKeyFarFromEveryValidKey_ReportsItUnknownWithoutASuggestion()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("completely.different.thing", "5")));

        Assert.StartsWith("Unknown config 'completely.different.thing'.", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WithATopicKeyInBrokerConfig_PointsToTheBrokerSynonym()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("retention.ms", "5")));

        Assert.Contains("'log.retention.ms'", Assert.Single(error.Errors));
    }

    [Theory]
    [InlineData("num.partitions", "0", "[1,...]")]
    [InlineData("num.partitions", "many", "32-bit integer")]
    [InlineData("log.flush.mode", "sometimes", "[ack, interval]")]
    [InlineData("auto.create.topics.enable", "yes", "true or false")]
    [InlineData("log.retention.ms", "-2", "[-1,...]")]
    [InlineData("listeners", "PLAINTEXT://localhost", "no port")]
    [InlineData("listeners", "", "at least one listener")]
    [InlineData("http.listeners", "https://127.0.0.1:9644", "must start with http://")]
    [InlineData("http.listeners", "http://127.0.0.1:1,http://127.0.0.1:2", "only one HTTP listener")]
    [InlineData("http.listeners", "http://127.0.0.1", "no port")]
    [InlineData("log.cleanup.policy", "delete,shred", "'shred'")]
    public void Load_WithAnInvalidValue_NamesTheKeyAndTheAllowedValues(string key, string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Load((key, value)));

        var message = Assert.Single(error.Errors);
        Assert.Contains($"'{key}'", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void Load_WithSeveralProblems_ReportsThemAll()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("num.partitions", "0"), ("bogus.key", "1"), ("node.id", "x")));

        Assert.Equal(3, error.Errors.Count);
    }

    [Fact]
    public void Load_WithAnUnsupportedKafkaKey_WarnsAndIgnoresIt()
    {
        var config = Load(("num.network.threads", "8"), ("ssl.keystore.location", "/x"), ("zookeeper.connect", "zk:2181"));

        Assert.Equal(3, config.Warnings.Count);
        Assert.Contains(config.Warnings, w => w.Contains("'ssl.keystore.location'", StringComparison.Ordinal));
    }

    [Fact]
    public void HttpListener_ByDefaultIsLoopback9644_AndEmptyTurnsItOff()
    {
        Assert.Equal(new Listener("HTTP", "127.0.0.1", 9644), Load().HttpListener);
        Assert.Null(Load(("http.listeners", "")).HttpListener);
    }

    [Theory]
    [InlineData("replica.selector.class", "org.example.Selector", "follower fetching for consumers")]
    [InlineData("log.message.format.version", "2.8", "deprecated")]
    public void Load_WithAKeyOfAFeatureNotBuiltYet_WarnsWhichCapabilityWillReadIt(string key, string value, string capability)
    {
        var config = Load((key, value));

        var warning = Assert.Single(config.Warnings);
        Assert.Contains($"'{key}'", warning, StringComparison.Ordinal);
        Assert.Contains(capability, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(config.Describe(), e => e.Name == key);
    }

    [Fact]
    public void Load_WithRetentionInHoursOnly_UsesTheHours()
    {
        var config = Load(("log.retention.hours", "2"));

        Assert.Equal(2 * 3600000L, config.LogRetentionMs);
        Assert.Equal(ConfigSource.Override, config.Source("log.retention.ms"));
        Assert.Equal("log.retention.hours", config.SuppliedBy("log.retention.ms"));
    }

    [Fact]
    public void Load_WithRetentionInMinutesAndHours_PrefersMinutes()
    {
        var config = Load(("log.retention.hours", "2"), ("log.retention.minutes", "3"));

        Assert.Equal(3 * 60000L, config.LogRetentionMs);
    }

    [Fact]
    public void Load_WithRetentionInEveryUnit_PrefersMilliseconds()
    {
        var config = Load(("log.retention.hours", "2"), ("log.retention.minutes", "3"), ("log.retention.ms", "4"));

        Assert.Equal(4L, config.LogRetentionMs);
        Assert.Equal("log.retention.ms", config.SuppliedBy("log.retention.ms"));
    }

    [Fact]
    public void Load_WithNegativeRetentionHours_MeansUnlimited()
    {
        Assert.Equal(-1L, Load(("log.retention.hours", "-1")).LogRetentionMs);
    }

    [Fact]
    public void Load_WithRollHours_SetsRollMs()
    {
        Assert.Equal(3600000L, Load(("log.roll.hours", "1")).LogRollMs);
    }

    [Fact]
    public void Load_WithKafkasOlderBrokerIdAndLogDir_UsesThemForNodeIdAndLogDirs()
    {
        var config = Load(("broker.id", "7"), ("log.dir", "/data/kafka"));

        Assert.Equal(7, config.NodeId);
        Assert.Equal(["/data/kafka"], config.LogDirs);
    }

    [Fact]
    public void Load_WithAdvertisedListeners_ParsesHostsAndPorts()
    {
        var config = Load(
            ("listeners", "PLAINTEXT://:9092,internal://[::1]:9093"),
            ("advertised.listeners", "PLAINTEXT://broker1.example.com:9092"));

        Assert.Equal([new Listener("PLAINTEXT", "", 9092), new Listener("INTERNAL", "::1", 9093)], config.Listeners);
        Assert.Equal([new Listener("PLAINTEXT", "broker1.example.com", 9092)], config.AdvertisedListeners);
        Assert.Equal("INTERNAL://[::1]:9093", config.Listeners[1].ToString());
    }

    [Fact]
    public void Load_WithAnAdvertisedListenerNamingNoListener_Fails()
    {
        var error = Assert.Throws<ConfigException>(() => Load(("advertised.listeners", "OTHER://h:1")));

        Assert.Contains("names no listener", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WithAnAdvertisedWildcardHost_Fails()
    {
        Assert.Throws<ConfigException>(() => Load(("advertised.listeners", "PLAINTEXT://0.0.0.0:9092")));
    }

    [Fact]
    public void Load_WithMinSessionTimeoutAboveMax_Fails()
    {
        Assert.Throws<ConfigException>(() => Load(("group.min.session.timeout.ms", "5000"), ("group.max.session.timeout.ms", "4000")));
    }

    [Fact]
    public void Load_WithAMissingConfigFile_ReportsTheFile()
    {
        var error = Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(new BrokerConfigSources { ConfigFile = Path.Combine(_dir, "nope.properties") }));

        Assert.Contains("nope.properties", error.Message);
    }

    [Fact]
    public void Load_WithAnErrorInTheFile_NamesTheLine()
    {
        var file = WriteFile("# comment\nnum.partitions=2\nlog.retention.m=1\n");

        var error = Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(new BrokerConfigSources { ConfigFile = file }));

        Assert.Contains("line 3", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WithAnEnvironmentVariableOfAnotherPrefix_IgnoresIt()
    {
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string> { ["KAFKA_NUM_PARTITIONS"] = "9", ["PATH"] = "/bin" },
        });

        Assert.Equal(1, config.NumPartitions);
    }

    [Fact]
    public void Load_WithAMisspeltKeyInTheEnvironment_Fails()
    {
        var error = Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string> { ["WHARF_LOG_RETENTION_M"] = "5" },
        }));

        Assert.Contains("did you mean 'log.retention.ms'", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_WithAnUnrelatedWharfEnvironmentVariable_WarnsAndIgnoresIt()
    {
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string> { ["WHARF_CAPTURE_GOLDEN"] = "/tmp/x" },
        });

        Assert.Contains("WHARF_CAPTURE_GOLDEN", Assert.Single(config.Warnings));
    }

    [Fact]
    public void ParseArguments_TakesConfigAndSetFlags_AndLeavesTheRest()
    {
        var sources = BrokerConfigLoader.ParseArguments(["start", "--config", "a.properties", "--set", "num.partitions=3", "--set=node.id=2", "-v"], out var rest);

        Assert.Equal("a.properties", sources.ConfigFile);
        Assert.Equal([new("num.partitions", "3"), new("node.id", "2")], sources.Overrides);
        Assert.Equal(["start", "-v"], rest);
    }

    [Fact]
    public void ParseArguments_WithASetLackingAnEqualsSign_Fails()
    {
        Assert.Throws<ConfigException>(() => BrokerConfigLoader.ParseArguments(["--set", "num.partitions"], out _));
    }

    [Fact]
    public void Describe_ReportsStaticAndDefaultSourcesWithSynonyms()
    {
        var config = Load(("log.retention.hours", "48"));

        var entry = config.Describe("log.retention.ms");

        Assert.Equal("172800000", entry.Value);
        Assert.Equal(KafkaConfigSource.StaticBrokerConfig, entry.Source);
        Assert.True(entry.IsReadOnly);
        Assert.Equal(ConfigType.Long, entry.Type);
        Assert.Equal(
            [new ConfigSynonym("log.retention.hours", "48", KafkaConfigSource.StaticBrokerConfig), new ConfigSynonym("log.retention.ms", "1209600000", KafkaConfigSource.DefaultConfig)],
            entry.Synonyms);
        Assert.Equal(KafkaConfigSource.DefaultConfig, config.Describe("num.partitions").Source);
        Assert.Equal(ConfigCatalogue.BrokerKeys.Count, config.Describe().Count);
    }

    private BrokerConfig Load(params (string Key, string Value)[] overrides) =>
        BrokerConfigLoader.Load(new BrokerConfigSources { Overrides = overrides.Select(o => new KeyValuePair<string, string>(o.Key, o.Value)).ToArray() });

    private string WriteFile(string text)
    {
        var path = Path.Combine(_dir, "wharf.properties");
        File.WriteAllText(path, text);
        return path;
    }
}
