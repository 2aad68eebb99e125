using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication.Tests;

/// <summary>
/// A leader and its followers, as <see cref="Partition"/> objects wired by hand in virtual time: the high watermark is
/// the minimum over the ISR of what followers fetched, acks=all waits for it, ISR changes are proposed when a follower
/// catches up or falls behind, and a follower whose log diverged truncates where the leader's epoch ended.
/// </summary>
public sealed class PartitionReplicationTests : IDisposable
{
    private const int Leader = 1;
    private const int Follower2 = 2;
    private const int Follower3 = 3;
    private static readonly TimeSpan LagMax = TimeSpan.FromSeconds(10);
    private readonly ReplicaFixture _fixture = new();
    private readonly RecordingSender _sender = new();
    private readonly PartitionContext _context;

    public PartitionReplicationTests() => _context = new PartitionContext(_fixture.Time, _sender, LagMax, NullLogger.Instance);

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task HighWatermark_IsTheSmallestFetchOffsetInTheIsr_AndWaitsForFollowersNotYetHeardFrom()
    {
        var leader = NewPartition("hw", Leader);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2, 3), Nodes.Of(1, 2, 3));
        await leader.AppendAsLeaderAsync(_fixture.Batch(10));
        Assert.Equal(0, leader.HighWatermark);

        Assert.Equal(ErrorCode.None, leader.UpdateFollowerFetchState(Follower2, 10));
        Assert.Equal(0, leader.HighWatermark);
        leader.UpdateFollowerFetchState(Follower3, 4);
        Assert.Equal(4, leader.HighWatermark);
        leader.UpdateFollowerFetchState(Follower3, 10);
        Assert.Equal(10, leader.HighWatermark);
    }

    [Fact]
    public async Task ConsumerFetch_AboveTheHighWatermarkButWithinTheLog_WaitsInsteadOfBeingOutOfRange()
    {
        var leader = NewPartition("trailing-hw", Leader);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2), Nodes.Of(1, 2));
        await leader.AppendAsLeaderAsync(_fixture.Batch(3));
        Assert.Equal(0, leader.HighWatermark);

        var within = leader.Read(new PartitionFetch(2, 1000));
        Assert.Equal((ErrorCode.None, true), (within.Error, within.Records.IsEmpty));
        Assert.Equal(ErrorCode.OffsetOutOfRange, leader.Read(new PartitionFetch(4, 1000)).Error);
    }

    [Fact]
    public async Task AcksAll_CompletesWhenTheIsrHasTheBatch_AndTimesOutWhenItDoesNot()
    {
        var leader = NewPartition("acks", Leader);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2), Nodes.Of(1, 2));
        var first = leader.AppendAsLeaderAsync(_fixture.Batch(3), requiredAcks: -1, timeout: TimeSpan.FromSeconds(5));
        await Task.Yield();
        Assert.False(first.IsCompleted);
        leader.UpdateFollowerFetchState(Follower2, 3);
        Assert.Equal(0, (await first).FirstOffset);

        var second = leader.AppendAsLeaderAsync(_fixture.Batch(), requiredAcks: -1, timeout: TimeSpan.FromSeconds(5));
        _fixture.Time.Advance(TimeSpan.FromSeconds(5));
        var timedOut = await Assert.ThrowsAsync<LogException>(() => second);
        Assert.Equal(ErrorCode.RequestTimedOut, timedOut.ErrorCode);
        Assert.Equal(4, leader.LogEndOffset);
        Assert.Equal(3, leader.HighWatermark);
    }

    [Fact]
    public async Task AcksAll_WhileWaitingForTheIsr_IsCountedInTheProducePurgatory()
    {
        var leader = NewPartition("purgatory", Leader);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2), Nodes.Of(1, 2));
        Assert.Equal(0, _context.Counters.ParkedProduces);

        var waiting = leader.AppendAsLeaderAsync(_fixture.Batch(2), requiredAcks: -1, timeout: TimeSpan.FromSeconds(5));
        Assert.True(SpinWait.SpinUntil(() => _context.Counters.ParkedProduces == 1, TimeSpan.FromSeconds(10)), "the acks=all wait was never counted");
        leader.UpdateFollowerFetchState(Follower2, 2);
        await waiting;

        Assert.Equal(0, _context.Counters.ParkedProduces);
    }

    [Fact]
    public async Task AcksAll_WithTheIsrBelowMinInsync_IsRefusedBeforeAppending_AndLeadershipLossEndsTheWait()
    {
        var leader = NewPartition("min-isr", Leader, minInsync: 2);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2), Nodes.Of(1));
        var refused = await Assert.ThrowsAsync<LogException>(() => leader.AppendAsLeaderAsync(_fixture.Batch(), requiredAcks: -1));
        Assert.Equal(ErrorCode.NotEnoughReplicas, refused.ErrorCode);
        Assert.Equal(0, leader.LogEndOffset);

        leader.MakeLeader(1, 2, Nodes.Of(1, 2), Nodes.Of(1, 2));
        var waiting = leader.AppendAsLeaderAsync(_fixture.Batch(), requiredAcks: -1);
        leader.MakeFollower(2, 3, Follower2, Nodes.Of(1, 2), Nodes.Of(2));
        var moved = await Assert.ThrowsAsync<LogException>(() => waiting);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, moved.ErrorCode);
    }

    [Fact]
    public async Task CaughtUpFollower_IsProposedForTheIsr_AndTheAnswerBecomesTheIsr()
    {
        var leader = NewPartition("expand", Leader, topicId: Guid.NewGuid());
        leader.MakeLeader(4, 7, Nodes.Of(1, 2), Nodes.Of(1));
        await leader.AppendAsLeaderAsync(_fixture.Batch(5));
        Assert.Equal(5, leader.HighWatermark);

        leader.UpdateFollowerFetchState(Follower2, 3);
        Assert.Empty(_sender.Proposals);
        leader.UpdateFollowerFetchState(Follower2, 5);
        var proposal = Assert.Single(_sender.Proposals);
        Assert.Equal((leader.TopicId, 4, 7), (proposal.TopicId, proposal.LeaderEpoch, proposal.PartitionEpoch));
        Assert.Equal([1, 2], proposal.NewIsr.ToArray());
        Assert.Equal([1, 2], leader.MaximalIsr.ToArray());

        await _sender.AnswerAsync(leader, new AlterPartitionOutcome(ErrorCode.None, 4, 8, Nodes.Of(1, 2)));
        Assert.Equal([1, 2], leader.Leadership.Isr.ToArray());
        Assert.Equal(8, leader.Leadership.PartitionEpoch);
        Assert.Equal((1L, 0L), (_context.Counters.IsrExpands, _context.Counters.IsrShrinks));
    }

    [Fact]
    public async Task FollowerThatStopsCatchingUp_LeavesTheIsrAfterTheLagTime_AndARefusalIsNotRetriedAtOnce()
    {
        var leader = NewPartition("shrink", Leader);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2, 3), Nodes.Of(1, 2, 3));
        await leader.AppendAsLeaderAsync(_fixture.Batch(2));
        leader.UpdateFollowerFetchState(Follower2, 2);
        leader.UpdateFollowerFetchState(Follower3, 2);

        _fixture.Time.Advance(LagMax);
        leader.UpdateFollowerFetchState(Follower2, 2);
        leader.MaybeShrinkIsr();
        Assert.Empty(_sender.Proposals);

        _fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        leader.MaybeShrinkIsr();
        Assert.Equal([1, 2], Assert.Single(_sender.Proposals).NewIsr.ToArray());

        await _sender.AnswerAsync(leader, AlterPartitionOutcome.Failed(ErrorCode.InvalidUpdateVersion));
        leader.MaybeShrinkIsr();
        Assert.Single(_sender.Proposals);
        _fixture.Time.Advance(_context.ProposalRetryBackoff);
        leader.MaybeShrinkIsr();
        Assert.Equal(2, _sender.Proposals.Count);
    }

    [Fact]
    public async Task DivergedFollower_TruncatesToWhereTheLeadersEpochEnded_ThenReplicatesTheLeadersRecords()
    {
        // Both led epoch 1 (5 records). The follower then led epoch 2 alone (4 records nobody else has); the leader
        // was elected at epoch 3 and wrote 3 more.
        var leader = NewPartition("diverge-leader", Leader);
        var follower = NewPartition("diverge-follower", Follower2);
        leader.MakeLeader(1, 1, Nodes.Of(1), Nodes.Of(1));
        follower.MakeLeader(1, 1, Nodes.Of(2), Nodes.Of(2));
        var shared = _fixture.Batch(5);
        await leader.AppendAsLeaderAsync(shared.ToArray());
        await follower.AppendAsLeaderAsync(shared.ToArray());
        follower.MakeLeader(2, 2, Nodes.Of(2), Nodes.Of(2));
        await follower.AppendAsLeaderAsync(_fixture.Batch(4));
        leader.MakeLeader(3, 3, Nodes.Of(1, 2), Nodes.Of(1));
        await leader.AppendAsLeaderAsync(_fixture.Batch(3));
        follower.MakeFollower(3, 3, Leader, Nodes.Of(1, 2), Nodes.Of(1));

        var (offset, lastEpoch) = follower.FollowerFetchPosition;
        Assert.Equal((9L, 2), (offset, lastEpoch));
        var answer = leader.ReadForFollower(Follower2, offset, lastEpoch, 3, 1 << 20);
        Assert.Equal(new DivergingEpoch(1, 5), answer.Diverging);
        Assert.True(answer.Records.IsEmpty);
        follower.TruncateAsFollower(follower.TruncationOffsetFor(answer.Diverging!.Value), Leader, 3);
        Assert.Equal(5, follower.LogEndOffset);

        (offset, lastEpoch) = follower.FollowerFetchPosition;
        answer = leader.ReadForFollower(Follower2, offset, lastEpoch, 3, 1 << 20);
        Assert.Null(answer.Diverging);
        using (var bytes = answer.Records.ReadPooled())
        {
            follower.AppendAsFollower(bytes.Memory.ToArray(), Leader, 3);
        }

        follower.UpdateFromLeader(answer.HighWatermark, answer.LogStartOffset);
        Assert.Equal(8, follower.LogEndOffset);
        Assert.Equal(3, follower.FollowerFetchPosition.LastFetchedEpoch);

        // A late answer naming an older leadership is refused.
        var stale = Assert.Throws<LogException>(() => follower.AppendAsFollower(_fixture.Batch(), Leader, 2));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, stale.ErrorCode);
    }

    [Fact]
    public void FetchFromANonReplica_OrOnAFollower_IsRefused()
    {
        var leader = NewPartition("strangers", Leader);
        leader.MakeLeader(1, 1, Nodes.Of(1, 2), Nodes.Of(1, 2));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, leader.ReadForFollower(7, 0, -1, 1, 1000).Error);
        Assert.Equal(ErrorCode.FencedLeaderEpoch, leader.ReadForFollower(Follower2, 0, -1, 0, 1000).Error);
        leader.MakeFollower(2, 2, Follower2, Nodes.Of(1, 2), Nodes.Of(2));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, leader.ReadForFollower(Follower2, 0, -1, 2, 1000).Error);
    }

    private Partition NewPartition(string topic, int node, int minInsync = 1, Guid topicId = default)
    {
        var topicPartition = new TopicPartition(topic, 0);
        var log = _fixture.Logs.GetOrCreateLog(topicPartition, new LogConfig { FlushMode = LogFlushMode.Interval, MinInsyncReplicas = minInsync });
        return new Partition(topicPartition, log, node, _context, topicId);
    }

    /// <summary>Records proposals; each waits until the test answers it.</summary>
    private sealed class RecordingSender : IAlterPartitionSender
    {
        private readonly Queue<TaskCompletionSource<AlterPartitionOutcome>> _waiting = new();

        public List<AlterPartitionProposal> Proposals { get; } = [];

        public Task<AlterPartitionOutcome> SubmitAsync(AlterPartitionProposal proposal, CancellationToken cancellationToken)
        {
            Proposals.Add(proposal);
            var answer = new TaskCompletionSource<AlterPartitionOutcome>();
            _waiting.Enqueue(answer);
            return answer.Task;
        }

        /// <summary>Answers the oldest proposal; completes once <paramref name="leader"/> has taken the answer (it wakes its waiters).</summary>
        public Task AnswerAsync(Partition leader, AlterPartitionOutcome outcome)
        {
            var taken = leader.WaitForAppendAsync();
            _waiting.Dequeue().SetResult(outcome);
            return taken;
        }
    }
}
