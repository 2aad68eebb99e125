using Microsoft.Extensions.Time.Testing;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// A coordinator over an in-memory offsets topic in virtual time, with helpers that speak the classic protocol the
/// way a consumer does. Every wait on a parked request has a timeout, so a test fails instead of hanging.
/// </summary>
internal sealed class GroupHarness : IDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public GroupHarness(GroupCoordinatorOptions? options = null, InMemoryPartitionWriter? writer = null, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Writer = writer ?? new InMemoryPartitionWriter();
        Options = options ?? new GroupCoordinatorOptions { PartitionExists = (topic, partition) => topic.StartsWith("topic", StringComparison.Ordinal) && partition < 6 };
        Coordinator = new GroupCoordinator(Writer, Options, Time);
        Coordinator.LoadAllAsync().WaitAsync(Wait).GetAwaiter().GetResult();
    }

    public FakeTimeProvider Time { get; }

    public InMemoryPartitionWriter Writer { get; }

    public GroupCoordinatorOptions Options { get; }

    public GroupCoordinator Coordinator { get; }

    /// <summary>A fresh coordinator over the same log and clock, as after a failover: it replays the log.</summary>
    public GroupHarness Restart()
    {
        Coordinator.Dispose();
        return new GroupHarness(Options, Writer, Time);
    }

    public Task<JoinGroupResponse> JoinAsync(string group, string memberId = "", string? instanceId = null, short version = 5, int sessionMs = 10_000, int rebalanceMs = 30_000, string protocol = "range", byte[]? metadata = null, string clientId = "client")
    {
        var request = new JoinGroupRequest
        {
            GroupId = group,
            MemberId = memberId,
            GroupInstanceId = instanceId,
            SessionTimeoutMs = sessionMs,
            RebalanceTimeoutMs = rebalanceMs,
            ProtocolType = "consumer",
            Protocols = [new() { Name = protocol, Metadata = metadata ?? Subscription("topic") }],
        };
        return Coordinator.JoinGroupAsync(request, version, clientId, "/127.0.0.1");
    }

    /// <summary>JoinGroup v5 the way librdkafka does it: empty id, MEMBER_ID_REQUIRED, rejoin with the id.</summary>
    public async Task<string> JoinNewMemberAsync(string group, string? instanceId = null, int sessionMs = 10_000, int rebalanceMs = 30_000)
    {
        var first = await JoinAsync(group, instanceId: instanceId, sessionMs: sessionMs, rebalanceMs: rebalanceMs).WaitAsync(Wait);
        Assert.Equal((short)Common.ErrorCode.MemberIdRequired, first.ErrorCode);
        return first.MemberId;
    }

    public Task<SyncGroupResponse> SyncAsync(string group, string memberId, int generation, string? instanceId = null, params (string MemberId, byte[] Assignment)[] assignments) =>
        Coordinator.SyncGroupAsync(new SyncGroupRequest
        {
            GroupId = group,
            MemberId = memberId,
            GenerationId = generation,
            GroupInstanceId = instanceId,
            Assignments = [.. assignments.Select(a => new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = a.MemberId, Assignment = a.Assignment })],
        });

    public Common.ErrorCode Heartbeat(string group, string memberId, int generation, string? instanceId = null) =>
        (Common.ErrorCode)Coordinator.Heartbeat(new HeartbeatRequest { GroupId = group, MemberId = memberId, GenerationId = generation, GroupInstanceId = instanceId }).ErrorCode;

    public async Task<Common.ErrorCode> CommitAsync(string group, string memberId, int generation, string topic, int partition, long offset, string? metadata = null, string? instanceId = null)
    {
        var response = await Coordinator.CommitOffsetsAsync(new OffsetCommitRequest
        {
            GroupId = group,
            MemberId = memberId,
            GenerationIdOrMemberEpoch = generation,
            GroupInstanceId = instanceId,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = partition, CommittedOffset = offset, CommittedLeaderEpoch = 3, CommittedMetadata = metadata }] }],
        }).WaitAsync(Wait);
        return (Common.ErrorCode)response.Topics[0].Partitions[0].ErrorCode;
    }

    public OffsetFetchResponse.OffsetFetchResponsePartition Fetch(string group, string topic, int partition, bool requireStable = false)
    {
        var (error, topics) = Coordinator.FetchOffsets(group, [new() { Name = topic, PartitionIndexes = [partition] }], requireStable);
        Assert.Equal(Common.ErrorCode.None, error);
        return topics[0].Partitions[0];
    }

    public string State(string group) => Coordinator.DescribeGroup(group).GroupState;

    /// <summary>A "consumer" protocol subscription (ConsumerProtocolSubscription v0) to the topics.</summary>
    public static byte[] Subscription(params string[] topics)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((short)0));
        writer.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(topics.Length));
        foreach (var topic in topics)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(topic);
            writer.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((short)bytes.Length));
            writer.Write(bytes);
        }

        writer.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(-1)); // null user data
        writer.Flush();
        return stream.ToArray();
    }

    public void Dispose() => Coordinator.Dispose();
}
