using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// The replication factor of topics created without one: <c>default.replication.factor</c> for user topics,
/// <c>offsets.topic.replication.factor</c> and <c>transaction.state.log.replication.factor</c> for the coordinators'
/// internal topics. A value set explicitly (file, environment, override) is used as is — more than the live brokers is
/// then INVALID_REPLICATION_FACTOR at creation, as in Kafka (for the internal topics FindCoordinator answers
/// COORDINATOR_NOT_AVAILABLE until enough brokers are live). Left unset, it is 3 capped at the live (unfenced) brokers,
/// so a single node gets 1 and a cluster of three or more gets 3 without configuration.
/// Thread-safety: stateless.
/// </summary>
public static class DefaultReplicationFactor
{
    /// <summary>The most replicas a topic gets by default (Kafka's default for its internal topics).</summary>
    public const int Cap = 3;

    /// <summary>
    /// The replication factor <paramref name="key"/> gives in <paramref name="image"/>: its explicit value, else
    /// min(<see cref="Cap"/>, live brokers) — at least 1, so before any broker registered it is 1.
    /// </summary>
    public static short For(BrokerConfig config, string key, MetadataImage image)
    {
        var configured = config.GetInt(key);
        if (config.IsExplicitlySet(key))
        {
            return (short)Math.Min(configured, short.MaxValue);
        }

        return (short)Math.Clamp(image.LiveBrokers.Count(), 1, Cap);
    }
}
