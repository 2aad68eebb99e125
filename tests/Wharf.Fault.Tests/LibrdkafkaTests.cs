using Confluent.Kafka;

namespace Wharf.Fault.Tests;

/// <summary>The workloads run the librdkafka bundled with Confluent.Kafka (the csproj puts the Debian-loadable build in place).</summary>
public sealed class LibrdkafkaTests
{
    [Fact]
    public void TheLoadedLibrdkafka_IsTheBundled2_16_0()
    {
        Assert.Equal("2.16.0", Library.VersionString);
    }
}
