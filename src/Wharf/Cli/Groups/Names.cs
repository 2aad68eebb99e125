using Confluent.Kafka;

namespace Wharf.Cli.Groups;

/// <summary>Stable lower-case names for group types and states, as scripts see them. Thread-safety: stateless.</summary>
internal static class Names
{
    public static string Of(ConsumerGroupType type) => type switch
    {
        ConsumerGroupType.Classic => "classic",
        ConsumerGroupType.Consumer => "consumer",
        _ => "unknown",
    };

    public static string Of(ConsumerGroupState state) => state switch
    {
        ConsumerGroupState.Stable => "stable",
        ConsumerGroupState.Empty => "empty",
        ConsumerGroupState.Dead => "dead",
        ConsumerGroupState.PreparingRebalance => "preparing_rebalance",
        ConsumerGroupState.CompletingRebalance => "completing_rebalance",
        _ => "unknown",
    };
}
