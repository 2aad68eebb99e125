using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

public class EnvironmentConfigTests
{
    [Theory]
    [InlineData("log.retention.ms", "WHARF_LOG_RETENTION_MS")]
    [InlineData("some-key.x", "WHARF_SOME__KEY_X")]
    [InlineData("under_score.key", "WHARF_UNDER___SCORE_KEY")]
    public void ToVariableName_FollowsTheConfluentConvention(string key, string variable)
    {
        Assert.Equal(variable, EnvironmentConfig.ToVariableName(key));
        Assert.Equal(key, EnvironmentConfig.ToKey(variable));
    }

    [Fact]
    public void ToKey_OfAnotherPrefix_IsNull()
    {
        Assert.Null(EnvironmentConfig.ToKey("KAFKA_LOG_RETENTION_MS"));
        Assert.Null(EnvironmentConfig.ToKey("WHARF_"));
    }

    [Fact]
    public void EveryCatalogueKey_RoundTripsThroughItsVariableName()
    {
        foreach (var key in ConfigCatalogue.Broker.Keys)
        {
            Assert.Equal(key, EnvironmentConfig.ToKey(EnvironmentConfig.ToVariableName(key)));
        }
    }
}
