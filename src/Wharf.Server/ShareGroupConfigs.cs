using Wharf.Configuration;
using Wharf.Coordinator.Share;

namespace Wharf.Server;

/// <summary>
/// Builds a share group's <see cref="ShareGroupSettings"/> from its effective configuration: the group's overrides
/// (<c>MetadataImage.GetGroupConfigs(group)</c>) over the broker's <c>group.share.*</c> keys over the catalogue's
/// defaults — the one place where group keys become share-coordinator settings. It lives here, not in
/// Wharf.Configuration, because the configuration layer may not see the coordinator's types. Each key is read through
/// <see cref="GroupConfig"/> or <see cref="BrokerConfig"/>, which record the read (<see cref="ConfigUsage"/>); values
/// were validated when set, and an override the broker's bounds no longer allow falls back to the broker's value.
/// Resolve per use (it is cheap), so an altered config applies from the next acquisition or heartbeat.
/// Thread-safety: stateless.
/// </summary>
public static class ShareGroupConfigs
{
    public static ShareGroupSettings Resolve(BrokerConfig broker, IReadOnlyDictionary<string, string> groupOverrides)
    {
        var group = new GroupConfigResolver(broker).Resolve(groupOverrides);
        return new ShareGroupSettings(
            RecordLockDurationMs: group.ShareRecordLockDurationMs,
            DeliveryCountLimit: group.ShareDeliveryCountLimit,
            AutoOffsetReset: group.ShareAutoOffsetReset == "earliest" ? ShareOffsetReset.Earliest : ShareOffsetReset.Latest,
            ReadCommitted: group.ShareIsolationLevel == "read_committed",
            DeadLetterTopic: group.ShareDeadLetterTopic,
            HeartbeatIntervalMs: group.ShareHeartbeatIntervalMs,
            SessionTimeoutMs: group.ShareSessionTimeoutMs,
            MaxRecordLocks: broker.SharePartitionMaxRecordLocks);
    }
}
