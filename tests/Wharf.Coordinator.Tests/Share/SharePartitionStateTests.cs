using Wharf.Common;
using Wharf.Coordinator.Share;

namespace Wharf.Coordinator.Tests.Share;

/// <summary>The in-flight window of one share-partition: acquisition, acknowledgement, lock expiry, persistence.</summary>
public class SharePartitionStateTests
{
    private const int Limit = 5;
    private const long Deadline = 1_000;

    private static readonly sbyte Accept = (sbyte)AcknowledgeType.Accept;
    private static readonly sbyte Release = (sbyte)AcknowledgeType.Release;
    private static readonly sbyte Reject = (sbyte)AcknowledgeType.Reject;
    private static readonly sbyte Gap = (sbyte)AcknowledgeType.Gap;

    [Fact]
    public void AcquireNew_ThenAcceptAll_MovesTheStartOffsetPastThem()
    {
        var state = new SharePartitionState(100);
        Assert.Equal(new AcquiredRange(100, 104, 1), state.AcquireNew("a", 104, Deadline));
        Assert.Equal((100L, 105L, 5, 5), (state.StartOffset, state.EndOffset, state.WindowSize, state.AcquiredCount));
        Assert.Equal((RecordState.Acquired, (short)1, "a"), state.StateOf(102));

        Assert.Equal(ErrorCode.None, Ack(state, "a", 100, 104, [Accept]));

        Assert.Equal((105L, 105L, 0, 0), (state.StartOffset, state.EndOffset, state.WindowSize, state.AcquiredCount));
        Assert.Equal(long.MaxValue, state.NextExpiryMs);
    }

    [Fact]
    public void Accept_OfLaterOffsets_KeepsTheStartAtTheFirstUnfinishedOffset()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 4, Deadline);

        Assert.Equal(ErrorCode.None, Ack(state, "a", 2, 3, [Accept]));
        Assert.Equal(0, state.StartOffset);
        Assert.Equal(RecordState.Acknowledged, state.StateOf(3).State);

        Assert.Equal(ErrorCode.None, Ack(state, "a", 0, 1, [Accept, Accept]));
        Assert.Equal(4, state.StartOffset);
        Assert.Equal(1, state.AcquiredCount);
    }

    [Fact]
    public void AcquireNew_BelowTheEndOffset_Throws()
    {
        var state = new SharePartitionState(10);
        state.AcquireNew("a", 12, Deadline);
        Assert.Throws<ArgumentOutOfRangeException>(() => state.AcquireNew("a", 12, Deadline));
        Assert.Equal(13, state.EndOffset);
    }

    [Fact]
    public void Release_MakesRecordsAvailableAgain_AndTheNextAcquireCountsASecondDelivery()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 2, Deadline);

        Assert.Equal(ErrorCode.None, Ack(state, "a", 0, 2, [Release]));
        Assert.Equal((RecordState.Available, (short)1, (string?)null), state.StateOf(1));
        Assert.True(state.HasAvailable);
        Assert.Equal(0, state.AcquiredCount);
        Assert.Equal(0, state.StartOffset);

        Assert.Equal([new AcquiredRange(0, 2, 2)], state.AcquireAvailable("b", 10, Deadline));
        Assert.Equal((RecordState.Acquired, (short)2, "b"), state.StateOf(2));
        Assert.False(state.HasAvailable);
        Assert.Equal(3, state.AcquiredCount);
    }

    [Fact]
    public void AcquireAvailable_TakesOnlyAvailableOffsets_LowestFirst_UpToMaxRecords()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 5, Deadline);
        Assert.Equal(ErrorCode.None, Ack(state, "a", 0, 5, [Accept, Release, Release, Accept, Release, Accept]));
        Assert.Equal(1, state.StartOffset);

        Assert.Equal([new AcquiredRange(1, 2, 2)], state.AcquireAvailable("b", 2, Deadline));
        Assert.Equal([new AcquiredRange(4, 4, 2)], state.AcquireAvailable("c", 10, Deadline));
        Assert.Empty(state.AcquireAvailable("d", 10, Deadline));
        Assert.Equal("c", state.StateOf(4).Member);
    }

    [Fact]
    public void AcquireAvailable_SplitsRangesWhereTheDeliveryCountDiffers()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 2, Deadline);
        Ack(state, "a", 0, 2, [Release]);
        state.AcquireAvailable("a", 1, Deadline); // offset 0: second delivery
        Ack(state, "a", 0, 0, [Release]);

        Assert.Equal([new AcquiredRange(0, 0, 3), new AcquiredRange(1, 2, 2)], state.AcquireAvailable("b", 10, Deadline));
    }

    [Fact]
    public void Release_AtTheDeliveryLimit_ArchivesTheRecordAndReportsDeliveryLimit()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 1, Deadline);
        var archived = new List<ArchivedRecord>();

        Assert.Equal(ErrorCode.None, state.Acknowledge("a", 0, 1, [Release], deliveryCountLimit: 2, archived));
        Assert.Empty(archived);
        state.AcquireAvailable("a", 10, Deadline);
        Assert.Equal(ErrorCode.None, state.Acknowledge("a", 0, 0, [Release], deliveryCountLimit: 2, archived));

        Assert.Equal([new ArchivedRecord(0, 2, ArchiveReason.DeliveryLimit)], archived);
        Assert.Equal(RecordState.Archived, state.StateOf(0).State);
        Assert.Equal(1, state.StartOffset); // offset 1 (still acquired) is now the first unfinished one
    }

    [Fact]
    public void Reject_ArchivesTheRecordAndReportsRejected()
    {
        var state = new SharePartitionState(7);
        state.AcquireNew("a", 9, Deadline);
        var archived = new List<ArchivedRecord>();

        Assert.Equal(ErrorCode.None, state.Acknowledge("a", 7, 9, [Accept, Reject, Accept], Limit, archived));

        Assert.Equal([new ArchivedRecord(8, 1, ArchiveReason.Rejected)], archived);
        Assert.Equal((10L, 10L, 0), (state.StartOffset, state.EndOffset, state.AcquiredCount));
    }

    [Fact]
    public void Gap_ArchivesTheRecordWithoutReportingIt()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 3, Deadline);
        var archived = new List<ArchivedRecord>();

        Assert.Equal(ErrorCode.None, state.Acknowledge("a", 1, 2, [Gap], Limit, archived));

        Assert.Empty(archived);
        Assert.Equal(RecordState.Archived, state.StateOf(1).State);
        Assert.Equal(RecordState.Archived, state.StateOf(2).State);
        Assert.Equal(0, state.StartOffset);
        Assert.Equal(2, state.AcquiredCount);
    }

    /// <summary>
    /// Window [10, 17): 10 acquired by a, 11 available (released by a), 12 acknowledged, 13–14 acquired by a, 15–16
    /// acquired by b. Every batch below touches at least one offset a may not acknowledge now.
    /// </summary>
    [Theory]
    [InlineData(10, 11)] // 11 is not acquired
    [InlineData(12, 13)] // 12 is already acknowledged
    [InlineData(13, 15)] // 15 is b's
    [InlineData(9, 10)] // 9 is below the window
    [InlineData(14, 17)] // 17 is beyond it
    [InlineData(17, 17)]
    public void Acknowledge_OfAnOffsetTheMemberDoesNotHold_IsInvalidRecordState_AndChangesNothing(long first, long last)
    {
        var state = new SharePartitionState(10);
        state.AcquireNew("a", 14, Deadline);
        state.AcquireNew("b", 16, Deadline);
        Assert.Equal(ErrorCode.None, Ack(state, "a", 11, 12, [Release, Accept]));
        var before = Describe(state, 5, 20);
        var archived = new List<ArchivedRecord>();

        var types = Enumerable.Repeat(Reject, (int)(last - first + 1)).ToList();
        Assert.Equal(ErrorCode.InvalidRecordState, state.Acknowledge("a", first, last, types, Limit, archived));

        Assert.Empty(archived);
        Assert.Equal(before, Describe(state, 5, 20));
    }

    public static TheoryData<long, long, sbyte[]> MalformedBatches => new()
    {
        { 0, 2, [] },
        { 0, 2, [1, 1] },
        { 0, 2, [1, 1, 1, 1] },
        { 0, 0, [4] },
        { 0, 0, [-1] },
        { 0, 1, [1, 9] },
        { 2, 1, [1] },
    };

    [Theory]
    [MemberData(nameof(MalformedBatches))]
    public void Acknowledge_WithATypesListOfTheWrongLengthOrAnUnknownType_IsInvalidRequest_AndChangesNothing(long first, long last, sbyte[] types)
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 3, Deadline);
        var before = Describe(state, 0, 4);

        Assert.Equal(ErrorCode.InvalidRequest, Ack(state, "a", first, last, types));
        Assert.Equal(before, Describe(state, 0, 4));
    }

    [Fact]
    public void ExpireLocks_ReleasesOnlyLocksWhoseDeadlineHasCome()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 1, 1_000);
        state.AcquireNew("b", 3, 2_000);
        var archived = new List<ArchivedRecord>();
        Assert.Equal(1_000, state.NextExpiryMs);

        Assert.Equal(0, state.ExpireLocks(999, Limit, archived));
        Assert.Equal(4, state.AcquiredCount);

        Assert.Equal(2, state.ExpireLocks(1_000, Limit, archived));
        Assert.Equal((RecordState.Available, (short)1, (string?)null), state.StateOf(0));
        Assert.Equal(RecordState.Acquired, state.StateOf(2).State);
        Assert.Equal(2_000, state.NextExpiryMs);

        Assert.Equal(0, state.ExpireLocks(1_999, Limit, archived));
        Assert.Equal(2, state.ExpireLocks(5_000, Limit, archived));
        Assert.Equal(0, state.AcquiredCount);
        Assert.Equal(long.MaxValue, state.NextExpiryMs);
        Assert.Empty(archived);
    }

    [Fact]
    public void ExpireLocks_OfARecordAtTheDeliveryLimit_ArchivesAndReportsIt()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 0, 1_000);
        var archived = new List<ArchivedRecord>();

        Assert.Equal(1, state.ExpireLocks(1_000, deliveryCountLimit: 1, archived));

        Assert.Equal([new ArchivedRecord(0, 1, ArchiveReason.DeliveryLimit)], archived);
        Assert.Equal(1, state.StartOffset);
    }

    [Fact]
    public void NextExpiryMs_IsTheEarliestDeadlineOfTheRecordsAcquiredNow()
    {
        var state = new SharePartitionState(0);
        Assert.Equal(long.MaxValue, state.NextExpiryMs);
        state.AcquireNew("a", 0, 3_000);
        state.AcquireNew("a", 1, 1_000);
        Assert.Equal(1_000, state.NextExpiryMs);

        Ack(state, "a", 0, 1, [Accept]);
        Assert.Equal(long.MaxValue, state.NextExpiryMs);

        state.AcquireNew("a", 2, 5_000); // a deadline of records no longer acquired must not linger
        Assert.Equal(5_000, state.NextExpiryMs);
    }

    [Fact]
    public void ReleaseMember_ReleasesEveryRecordOfThatMemberAndNoOther()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 1, 1_000);
        state.AcquireNew("b", 2, 2_000);
        state.AcquireNew("a", 3, 3_000);
        var archived = new List<ArchivedRecord>();

        Assert.Equal(3, state.ReleaseMember("a", Limit, archived));

        Assert.Equal(1, state.AcquiredCount);
        Assert.Equal(RecordState.Available, state.StateOf(0).State);
        Assert.Equal(RecordState.Available, state.StateOf(3).State);
        Assert.Equal("b", state.StateOf(2).Member);
        Assert.Equal(2_000, state.NextExpiryMs);
        Assert.Equal(0, state.ReleaseMember("a", Limit, archived));
        Assert.Empty(archived);
    }

    [Fact]
    public void ReleaseMember_AtTheDeliveryLimit_ArchivesAndMovesTheStart()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 1, Deadline);
        var archived = new List<ArchivedRecord>();

        Assert.Equal(2, state.ReleaseMember("a", deliveryCountLimit: 1, archived));

        Assert.Equal([new ArchivedRecord(0, 1, ArchiveReason.DeliveryLimit), new ArchivedRecord(1, 1, ArchiveReason.DeliveryLimit)], archived);
        Assert.Equal(2, state.StartOffset);
    }

    [Fact]
    public void SkipNew_OnAnEmptyWindow_JumpsTheStartPastTheSkippedOffsets()
    {
        var state = new SharePartitionState(0);
        state.SkipNew(9);
        Assert.Equal((10L, 10L, 0), (state.StartOffset, state.EndOffset, state.WindowSize));

        state.SkipNew(5); // already behind: nothing to do
        Assert.Equal((10L, 10L), (state.StartOffset, state.EndOffset));
    }

    [Fact]
    public void SkipNew_BehindAcquiredRecords_ArchivesTheSkippedOffsetsInsideTheWindow()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 1, Deadline);
        state.SkipNew(4);
        Assert.Equal((0L, 5L, 5), (state.StartOffset, state.EndOffset, state.WindowSize));
        Assert.Equal(RecordState.Archived, state.StateOf(3).State);

        Ack(state, "a", 0, 1, [Accept]);
        Assert.Equal(5, state.StartOffset);
    }

    [Fact]
    public void TruncateBelow_DropsWhatWasInFlightBelowTheLogStart()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 4, Deadline);
        Ack(state, "a", 3, 3, [Reject]);

        state.TruncateBelow(3);

        Assert.Equal(4, state.StartOffset); // 3 was archived: the start moves past it too
        Assert.Equal(1, state.AcquiredCount);
        Assert.Equal(ErrorCode.InvalidRecordState, Ack(state, "a", 2, 2, [Accept]));
        Assert.Equal(ErrorCode.None, Ack(state, "a", 4, 4, [Accept]));

        state.TruncateBelow(2); // behind the start: nothing to do
        Assert.Equal(5, state.StartOffset);
    }

    [Fact]
    public void TruncateBelow_BeyondTheEnd_EmptiesTheWindowAndStartsItThere()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 4, Deadline);

        state.TruncateBelow(20);

        Assert.Equal((20L, 20L, 0, 0), (state.StartOffset, state.EndOffset, state.WindowSize, state.AcquiredCount));
        Assert.Equal(long.MaxValue, state.NextExpiryMs);
        Assert.Equal(new AcquiredRange(20, 20, 1), state.AcquireNew("b", 20, Deadline));
    }

    [Fact]
    public void Reset_EmptiesTheWindowAndStartsItAtTheGivenOffset()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 40, Deadline);

        state.Reset(7);

        Assert.Equal((7L, 7L, 0, 0), (state.StartOffset, state.EndOffset, state.WindowSize, state.AcquiredCount));
        Assert.Equal(long.MaxValue, state.NextExpiryMs);
        Assert.Empty(state.Snapshot());
        Assert.Equal(new AcquiredRange(7, 8, 1), state.AcquireNew("b", 8, Deadline));
    }

    [Fact]
    public void Snapshot_CoalescesRunsOfEqualStateAndCount_AndWritesAcquiredRecordsAsAvailable()
    {
        var state = new SharePartitionState(0);
        state.AcquireNew("a", 7, Deadline);
        Ack(state, "a", 1, 6, [Release, Release, Accept, Accept, Reject, Gap]);
        state.AcquireAvailable("b", 1, Deadline); // offset 1: second delivery, acquired

        Assert.Equal(
            [
                new StateBatch(0, 0, RecordState.Available, 1), // acquired by a
                new StateBatch(1, 1, RecordState.Available, 2), // acquired by b
                new StateBatch(2, 2, RecordState.Available, 1), // released
                new StateBatch(3, 4, RecordState.Acknowledged, 1),
                new StateBatch(5, 6, RecordState.Archived, 1),
                new StateBatch(7, 7, RecordState.Available, 1), // acquired by a
            ],
            state.Snapshot());
    }

    [Fact]
    public void RestoredFromASnapshot_HandsOutTheSameOffsetsWithTheSameDeliveryCounts()
    {
        var original = new SharePartitionState(50);
        original.AcquireNew("a", 61, Deadline);
        Ack(original, "a", 50, 61, [Accept, Release, Release, Reject, Accept, Release, Release, Release, Accept, Release, Release, Release]);
        original.AcquireAvailable("a", 3, Deadline);
        Ack(original, "a", 51, 52, [Release]);
        original.AcquireAvailable("b", 2, Deadline); // 51, 52 at their third delivery, acquired when the snapshot is taken
        var snapshot = original.Snapshot();

        var restored = new SharePartitionState(original.StartOffset, snapshot);

        Assert.Equal((original.StartOffset, original.EndOffset, 0), (restored.StartOffset, restored.EndOffset, restored.AcquiredCount));
        Assert.Equal(snapshot, restored.Snapshot());
        original.ReleaseMember("a", Limit, []);
        original.ReleaseMember("b", Limit, []);
        Assert.Equal(original.AcquireAvailable("c", 100, Deadline), restored.AcquireAvailable("c", 100, Deadline));
        Assert.Equal(original.AcquireNew("c", 70, Deadline), restored.AcquireNew("c", 70, Deadline));
    }

    [Fact]
    public void Restore_FillsOffsetsNoBatchCoversAsNeverDelivered_AndSkipsWhatIsBelowTheStart()
    {
        StateBatch[] batches =
        [
            new(14, 15, RecordState.Available, 3),
            new(8, 11, RecordState.Archived, 1), // out of order, and partly below the start
            new(16, 16, RecordState.Acknowledged, 1),
        ];

        var state = new SharePartitionState(10, batches);

        Assert.Equal((12L, 17L), (state.StartOffset, state.EndOffset)); // 10 and 11 archived: done
        Assert.Equal((RecordState.Available, (short)0, (string?)null), state.StateOf(12));
        Assert.Equal((RecordState.Available, (short)3, (string?)null), state.StateOf(15));
        Assert.Equal([new AcquiredRange(12, 13, 1), new AcquiredRange(14, 15, 4)], state.AcquireAvailable("a", 10, Deadline));
    }

    [Fact]
    public void Window_GrowingPastSixteenEntriesWhileItsHeadWrapsAround_KeepsEveryOffsetsState()
    {
        // Each round a member (m0, m1 or m2 in turn, so misplaced entries show) acquires 7 new offsets and the oldest 5
        // acquired are acknowledged (every third released); b takes the released ones and accepts them a round later.
        // The start moves every round and the window grows by about 2, so the ring wraps around and grows several times.
        // A dictionary is the model of every offset's state.
        var state = new SharePartitionState(1_000);
        var expected = new Dictionary<long, (RecordState State, short Count, string? Member)>();
        var held = new Queue<(long Offset, string Member)>();
        var ofB = new List<AcquiredRange>();
        for (var round = 0; round < 60; round++)
        {
            foreach (var range in ofB)
            {
                Assert.Equal(ErrorCode.None, Ack(state, "b", range.FirstOffset, range.LastOffset, [Accept]));
                for (var offset = range.FirstOffset; offset <= range.LastOffset; offset++)
                {
                    expected[offset] = (RecordState.Acknowledged, 2, null);
                }
            }

            var member = $"m{round % 3}";
            var acquired = state.AcquireNew(member, state.EndOffset + 6, Deadline);
            for (var offset = acquired.FirstOffset; offset <= acquired.LastOffset; offset++)
            {
                held.Enqueue((offset, member));
                expected[offset] = (RecordState.Acquired, 1, member);
            }

            for (var i = 0; i < 5; i++)
            {
                var (offset, holder) = held.Dequeue();
                var release = offset % 3 == 0;
                Assert.Equal(ErrorCode.None, Ack(state, holder, offset, offset, [release ? Release : Accept]));
                expected[offset] = (release ? RecordState.Available : RecordState.Acknowledged, 1, null);
            }

            ofB = state.AcquireAvailable("b", int.MaxValue, Deadline);
            foreach (var range in ofB)
            {
                Assert.Equal(2, range.DeliveryCount);
                for (var offset = range.FirstOffset; offset <= range.LastOffset; offset++)
                {
                    expected[offset] = (RecordState.Acquired, 2, "b");
                }
            }

            var firstUnfinished = expected.Where(e => e.Value.State is RecordState.Acquired or RecordState.Available).Min(e => e.Key);
            Assert.Equal(firstUnfinished, state.StartOffset);
            Assert.Equal(expected.Count(e => e.Value.State == RecordState.Acquired), state.AcquiredCount);
            for (var offset = state.StartOffset; offset < state.EndOffset; offset++)
            {
                Assert.Equal(expected[offset], state.StateOf(offset));
            }
        }

        Assert.True(state.WindowSize > 64, $"the window should have grown well past the ring's first 16 entries, is {state.WindowSize}");
        Assert.Equal(1_000 + (60 * 7), state.EndOffset);
        foreach (var range in ofB)
        {
            Assert.Equal(ErrorCode.None, Ack(state, "b", range.FirstOffset, range.LastOffset, [Accept]));
        }

        foreach (var (offset, holder) in held)
        {
            Assert.Equal(ErrorCode.None, Ack(state, holder, offset, offset, [Accept]));
        }

        Assert.Equal((state.EndOffset, 0, 0), (state.StartOffset, state.WindowSize, state.AcquiredCount));
    }

    private static ErrorCode Ack(SharePartitionState state, string member, long first, long last, sbyte[] types) =>
        state.Acknowledge(member, first, last, types, Limit, []);

    /// <summary>Everything observable about the window over [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private static string Describe(SharePartitionState state, long from, long to) =>
        $"{state.StartOffset}..{state.EndOffset} acquired={state.AcquiredCount} next={state.NextExpiryMs} "
        + string.Join(' ', Enumerable.Range((int)from, (int)(to - from)).Select(o => state.StateOf(o)).Select(s => $"{s.State}/{s.DeliveryCount}/{s.Member}"));
}
