using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// TxnOffsetCommit in the group coordinator: offsets pending until the producer's COMMIT marker, dropped by ABORT,
/// UNSTABLE_OFFSET_COMMIT for stable fetches meanwhile, and the same outcome rebuilt by a replay of the log.
/// </summary>
public class TransactionalOffsetTests
{
    private const string Group = "copier";
    private const long ProducerId = 500;

    [Fact]
    public async Task TxnOffsets_ArePendingUntilTheCommitMarker_ThenCommitted()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.None, await h.CommitAsync(Group, "", -1, "topic", 0, 10));
        Assert.Equal(ErrorCode.None, await TxnCommitAsync(h, offset: 20));
        Assert.Equal(10, h.Fetch(Group, "topic", 0).CommittedOffset);
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, h.Fetch(Group, "topic", 0, requireStable: true).ErrorCode);

        Assert.Equal(ErrorCode.None, await h.Coordinator.CompleteTransactionAsync(h.Coordinator.PartitionFor(Group), ProducerId, 0, 0, commit: true).WaitAsync(GroupHarness.Wait));
        Assert.Equal(20, h.Fetch(Group, "topic", 0, requireStable: true).CommittedOffset);
    }

    [Fact]
    public async Task TxnOffsets_AreDroppedByTheAbortMarker()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.None, await TxnCommitAsync(h, offset: 20));
        Assert.Equal(ErrorCode.None, await h.Coordinator.CompleteTransactionAsync(h.Coordinator.PartitionFor(Group), ProducerId, 0, 0, commit: false).WaitAsync(GroupHarness.Wait));
        var fetched = h.Fetch(Group, "topic", 0, requireStable: true);
        Assert.Equal((0, -1L), (fetched.ErrorCode, fetched.CommittedOffset));
    }

    [Fact]
    public async Task Replay_AppliesCommittedTxnOffsets_DropsAborted_AndKeepsOpenOnesPending()
    {
        var h = new GroupHarness();
        await TxnCommitAsync(h, offset: 20, partition: 0, producerId: 1);
        await TxnCommitAsync(h, offset: 30, partition: 1, producerId: 2);
        await TxnCommitAsync(h, offset: 40, partition: 2, producerId: 3);
        var shard = h.Coordinator.PartitionFor(Group);
        await h.Coordinator.CompleteTransactionAsync(shard, 1, 0, 0, commit: true).WaitAsync(GroupHarness.Wait);
        await h.Coordinator.CompleteTransactionAsync(shard, 2, 0, 0, commit: false).WaitAsync(GroupHarness.Wait);

        using var restarted = h.Restart();
        Assert.Equal(20, restarted.Fetch(Group, "topic", 0, requireStable: true).CommittedOffset);
        Assert.Equal(-1, restarted.Fetch(Group, "topic", 1, requireStable: true).CommittedOffset);
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, restarted.Fetch(Group, "topic", 2, requireStable: true).ErrorCode);
        await restarted.Coordinator.CompleteTransactionAsync(shard, 3, 0, 0, commit: true).WaitAsync(GroupHarness.Wait);
        Assert.Equal(40, restarted.Fetch(Group, "topic", 2, requireStable: true).CommittedOffset);
    }

    [Fact]
    public async Task TxnCommit_WithAStaleGenerationOrUnknownMember_IsRefused()
    {
        using var h = new GroupHarness();
        Assert.Equal(ErrorCode.IllegalGeneration, await TxnCommitAsync(h, offset: 1, generation: 3));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, await TxnCommitAsync(h, offset: 1, topic: "missing"));
    }

    private static async Task<ErrorCode> TxnCommitAsync(GroupHarness h, long offset, int partition = 0, long producerId = ProducerId, int generation = -1, string topic = "topic")
    {
        var request = new TxnOffsetCommitRequest
        {
            TransactionalId = "txn",
            GroupId = Group,
            ProducerId = producerId,
            ProducerEpoch = 0,
            GenerationId = generation,
            MemberId = "",
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = partition, CommittedOffset = offset, CommittedMetadata = "" }] }],
        };
        var response = await h.Coordinator.TxnCommitOffsetsAsync(request).WaitAsync(GroupHarness.Wait);
        return (ErrorCode)response.Topics[0].Partitions[0].ErrorCode;
    }
}
