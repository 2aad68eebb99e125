using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

public class KeySuggesterTests
{
    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("same", "same", 0)]
    public void Distance_IsTheLevenshteinDistance(string a, string b, int expected)
    {
        Assert.Equal(expected, KeySuggester.Distance(a, b));
    }

    [Theory]
    [InlineData("log.retension.ms", "log.retention.ms")]
    [InlineData("num.partition", "num.partitions")]
    [InlineData("auto.create.topic.enable", "auto.create.topics.enable")]
    [InlineData("listener", "listeners")]
    public void Closest_FindsTheIntendedBrokerKey(string typo, string intended)
    {
        Assert.Equal(intended, KeySuggester.Closest(typo, ConfigCatalogue.Broker.Keys));
    }
}
