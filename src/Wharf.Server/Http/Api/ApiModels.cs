namespace Wharf.Server.Http.Api;

// The documents the admin API answers with and accepts; names become snake_case (docs/operations.md lists every field).

public sealed record BrokerView(int NodeId, string Host, int Port, string? Rack, bool IsController);

public sealed record ClusterView(string? ClusterId, int ControllerId, IReadOnlyList<BrokerView> Brokers);

public sealed record BrokerList(IReadOnlyList<BrokerView> Brokers);

public sealed record TopicSummary(string Name, Guid TopicId, int Partitions, int ReplicationFactor, bool Internal);

public sealed record TopicList(IReadOnlyList<TopicSummary> Topics);

public sealed record PartitionView(
    int Partition, int Leader, int LeaderEpoch, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr, IReadOnlyList<int> OfflineReplicas,
    long? LogStartOffset, long? HighWatermark, long? SizeBytes);

public sealed record TopicConfigView(string Name, string? Value, string Source, bool ReadOnly, bool Sensitive);

public sealed record TopicDetail(
    string Name, Guid TopicId, bool Internal, int ReplicationFactor, long? SizeBytes, long? MessageCount,
    IReadOnlyList<PartitionView> Partitions, IReadOnlyList<TopicConfigView> Configs);

public sealed record CreateTopicBody(string? Name, int? Partitions, int? ReplicationFactor, Dictionary<string, string?>? Configs);

public sealed record TopicCreated(string Name, int Partitions, int ReplicationFactor, bool Created);

public sealed record TopicDeleted(string Name, bool Deleted);

/// <summary>A key, value or header value: text when it is valid UTF-8, else base64; <c>data</c> holds at most the preview limit.</summary>
public sealed record PayloadView(string Encoding, string Data, int Size, bool Truncated);

public sealed record HeaderView(string Key, PayloadView? Value);

public sealed record MessageView(
    string Topic, int Partition, long Offset, long Timestamp, string TimestampType,
    PayloadView? Key, PayloadView? Value, IReadOnlyList<HeaderView> Headers, int Size);

public sealed record MessagePage(
    string Topic, int Partition, long LogStartOffset, long HighWatermark, long StartOffset, long NextOffset,
    int Limit, string? Query, int Scanned, IReadOnlyList<MessageView> Messages);

public sealed record ProduceBody(
    int? Partition, string? Key, string? Value, Dictionary<string, string?>? Headers, string? KeyEncoding, string? ValueEncoding);

public sealed record Produced(string Topic, int Partition, long Offset, long Timestamp);

public sealed record GroupSummary(string GroupId, string Type, string ProtocolType, string State, int Coordinator);

public sealed record GroupList(IReadOnlyList<GroupSummary> Groups);

public sealed record MemberAssignmentView(string Topic, IReadOnlyList<int> Partitions);

public sealed record MemberView(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, IReadOnlyList<MemberAssignmentView> Assignment);

public sealed record GroupOffsetView(string Topic, int Partition, long? CommittedOffset, long? LogEndOffset, long? Lag, string? Metadata);

public sealed record GroupDetail(
    string GroupId, string Type, string State, string ProtocolType, string? Protocol, int Coordinator,
    IReadOnlyList<MemberView> Members, IReadOnlyList<GroupOffsetView> Offsets, long TotalLag);
