using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>Broker configs for tests: defaults plus overrides, optionally with a data directory.</summary>
internal static class TestConfigs
{
    public static BrokerConfig Broker(params (string Key, string Value)[] overrides) =>
        BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Overrides = overrides.Select(o => new KeyValuePair<string, string>(o.Key, o.Value)).ToArray(),
        });
}

/// <summary>A temporary directory deleted at the end of the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("wharf-metadata-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
