namespace Wharf.Configuration;

/// <summary>
/// The type of a config value. The numeric values are DescribeConfigs' <c>ConfigType</c> (v3+) on the wire.
/// </summary>
public enum ConfigType : sbyte
{
    Unknown = 0,
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9,
}

/// <summary>How much an operator should care about a key (Kafka's <c>Importance</c>); used by the docs.</summary>
public enum ConfigImportance
{
    High,
    Medium,
    Low,
}

/// <summary>Where a key may be set.</summary>
public enum ConfigScope
{
    /// <summary>Broker-wide, in the properties file, the environment or <c>--set</c>.</summary>
    Broker,

    /// <summary>Per topic, through CreateTopics / AlterConfigs / IncrementalAlterConfigs; its default is a broker key.</summary>
    Topic,

    /// <summary>
    /// Per group (KIP-848 resource type GROUP), through AlterConfigs / IncrementalAlterConfigs; its default is a broker
    /// key where one exists. A group may be configured before it exists.
    /// </summary>
    Group,
}

/// <summary>Where a broker config value came from. Later sources win: default &lt; file &lt; environment &lt; override.</summary>
public enum ConfigSource
{
    /// <summary>The built-in default.</summary>
    Default,

    /// <summary>The properties file given with <c>--config</c>.</summary>
    File,

    /// <summary>A <c>WHARF_*</c> environment variable.</summary>
    Environment,

    /// <summary>A <c>--set key=value</c> command line override.</summary>
    Override,
}

/// <summary>
/// DescribeConfigs' <c>ConfigSource</c> as it goes on the wire (Kafka's <c>DescribeConfigsResponse.ConfigSource</c>).
/// </summary>
public enum KafkaConfigSource : sbyte
{
    Unknown = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
    DynamicClientMetricsConfig = 7,
    DynamicGroupConfig = 8,
}
