namespace Wharf.Metadata.Etcd.Tests;

public sealed class EtcdConnectStringTests
{
    [Fact]
    public void Parse_OneHost_UsesTheDefaultPrefix()
    {
        var connect = EtcdConnectString.Parse("127.0.0.1:2379");

        Assert.Equal([new EtcdEndpoint("127.0.0.1", 2379)], connect.Endpoints.ToArray());
        Assert.Equal(EtcdConnectString.DefaultPrefix, connect.Prefix);
    }

    [Fact]
    public void Parse_SeveralHostsAndAPrefix_KeepsTheirOrder()
    {
        var connect = EtcdConnectString.Parse("10.0.0.1:2379, etcd-b:12379,[::1]:2379/clusters/demo/");

        Assert.Equal([new EtcdEndpoint("10.0.0.1", 2379), new EtcdEndpoint("etcd-b", 12379), new EtcdEndpoint("::1", 2379)], connect.Endpoints.ToArray());
        Assert.Equal("/clusters/demo", connect.Prefix);
        Assert.Equal("10.0.0.1:2379,etcd-b:12379,[::1]:2379/clusters/demo", connect.ToString());
        Assert.Equal(connect, EtcdConnectString.Parse(connect.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1", "host:port")]
    [InlineData("127.0.0.1:0", "between 1 and 65535")]
    [InlineData("127.0.0.1:99999", "between 1 and 65535")]
    [InlineData("http://127.0.0.1:2379", "scheme")]
    [InlineData("127.0.0.1:2379,", "host:port")]
    [InlineData("127.0.0.1:2379/", "prefix after '/' is empty")]
    [InlineData("127.0.0.1:2379/a//b", "empty segment")]
    [InlineData("[::1]2379", "[ipv6]:port")]
    public void Parse_Malformed_SaysWhy(string text, string reason)
    {
        Assert.False(EtcdConnectString.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => EtcdConnectString.Parse(text));
    }
}
