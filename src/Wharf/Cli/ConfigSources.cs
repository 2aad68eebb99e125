using Confluent.Kafka.Admin;

namespace Wharf.Cli;

/// <summary>Kafka's own names for a config's source (as kafka-configs.sh prints them). Thread-safety: stateless.</summary>
internal static class ConfigSources
{
    public static string Name(ConfigSource source) => source switch
    {
        ConfigSource.DynamicTopicConfig => "DYNAMIC_TOPIC_CONFIG",
        ConfigSource.DynamicBrokerConfig => "DYNAMIC_BROKER_CONFIG",
        ConfigSource.DynamicDefaultBrokerConfig => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        ConfigSource.StaticBrokerConfig => "STATIC_BROKER_CONFIG",
        ConfigSource.DefaultConfig => "DEFAULT_CONFIG",
        _ => "UNKNOWN",
    };
}
