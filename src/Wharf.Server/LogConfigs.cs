using Wharf.Configuration;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>Turns a topic's effective configuration (overrides over broker defaults) into its log's <see cref="LogConfig"/>.</summary>
public static class LogConfigs
{
    public static LogConfig For(TopicConfigResolver resolver, IReadOnlyDictionary<string, string> overrides)
    {
        var broker = resolver.Broker;
        var effective = resolver.Resolve(overrides).ToStrings()
            .Where(c => LogConfig.Keys.All.Contains(c.Key))
            .Append(new(LogConfig.Keys.FlushMode, broker.LogFlushMode))
            .Append(new(LogConfig.Keys.FlushIntervalMs, broker.LogFlushIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return LogConfig.FromProperties(effective);
    }
}
