using Wharf.Configuration;

namespace Wharf.Metadata.Etcd.Tests;

/// <summary>The broker config keys a cluster member reads reach the etcd options they name.</summary>
public sealed class EtcdMetadataOptionsTests
{
    [Fact]
    public void From_CarriesEveryClusterKey_AndKafkasDefaults()
    {
        var set = EtcdMetadataOptions.From(Config(
            ("etcd.connect", "10.0.0.1:2379,10.0.0.2:2379/prod"),
            ("node.id", "7"),
            ("broker.session.timeout.ms", "12000"),
            ("broker.heartbeat.interval.ms", "1500"),
            ("controller.session.timeout.ms", "4000")));
        var defaults = EtcdMetadataOptions.From(Config(("etcd.connect", "127.0.0.1:2379")));

        Assert.Equal(
            ("10.0.0.1:2379,10.0.0.2:2379/prod", 7, TimeSpan.FromSeconds(12), TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(4), 12L, 4L),
            (set.Connect.ToString(), set.NodeId, set.SessionTimeout, set.HeartbeatInterval, set.ControllerSessionTimeout, set.SessionTtlSeconds, set.ControllerSessionTtlSeconds));
        Assert.Equal(
            (TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)),
            (defaults.SessionTimeout, defaults.HeartbeatInterval, defaults.ControllerSessionTimeout));
    }

    [Fact]
    public void From_WithABadConnectString_SaysWhatIsWrong()
    {
        var error = Assert.Throws<FormatException>(() => EtcdMetadataOptions.From(Config(("etcd.connect", "127.0.0.1"))));

        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    private static BrokerConfig Config(params (string Key, string Value)[] settings) =>
        BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Environment = new Dictionary<string, string>(),
            Overrides = [.. settings.Select(s => new KeyValuePair<string, string>(s.Key, s.Value))],
        });
}
