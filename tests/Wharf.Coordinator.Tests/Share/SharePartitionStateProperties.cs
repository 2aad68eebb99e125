using FsCheck.Xunit;
using Wharf.Common;
using Wharf.Coordinator.Share;

namespace Wharf.Coordinator.Tests.Share;

/// <summary>
/// FsCheck properties of <see cref="SharePartitionState"/>: random operation sequences run against the state and a
/// plain model (one list entry per offset, no ring), and the invariants are checked after every step. On failure FsCheck
/// prints the replay seed and the shrunk operation list.
/// </summary>
public class SharePartitionStateProperties
{
    private const int Limit = 3;

    /// <summary>
    /// Each element is one operation: |v| % 9 picks it, |v| / 9 is its parameter, the sign picks member a or b. Small
    /// parameters keep the window small, so acknowledgements often hit offsets that are in it.
    /// </summary>
    [Property(MaxTest = 400, EndSize = 200)]
    public void AnyOperationSequence_KeepsTheInvariantsAndAgreesWithTheModel(int[] operations)
    {
        var state = new SharePartitionState(100);
        var model = new Model(100);
        long now = 0;
        foreach (var operation in operations)
        {
            var member = operation < 0 ? "b" : "a";
            var p = (int)(Math.Abs((long)operation) / 9);
            var step = (int)(Math.Abs((long)operation) % 9);
            now += 1;
            var archived = new List<ArchivedRecord>();
            var expectedArchived = new List<ArchivedRecord>();
            switch (step)
            {
                case 0:
                    var last = state.EndOffset + (p % 8);
                    Assert.Equal(new AcquiredRange(state.EndOffset, last, 1), state.AcquireNew(member, last, now + 1 + (p % 30)));
                    model.AcquireNew(member, last, now + 1 + (p % 30));
                    break;
                case 1:
                    Assert.Equal(model.AcquireAvailable(member, (p % 8) + 1, now + 10), state.AcquireAvailable(member, (p % 8) + 1, now + 10));
                    break;
                case 2:
                case 3:
                    var first = state.StartOffset - 1 + (p % (state.WindowSize + 3));
                    var length = ((p / 3) % 4) + 1;
                    sbyte[] types = step == 2 ? [(sbyte)(p % 4)] : [.. Enumerable.Range(0, length).Select(i => (sbyte)((p + i) % 4))];
                    var expected = model.Acknowledge(member, first, first + length - 1, types, expectedArchived);
                    Assert.Equal(expected, state.Acknowledge(member, first, first + length - 1, types, Limit, archived));
                    break;
                case 4:
                    now += p % 20;
                    Assert.Equal(model.ExpireLocks(now, expectedArchived), state.ExpireLocks(now, Limit, archived));
                    break;
                case 5:
                    Assert.Equal(model.ReleaseMember(member, expectedArchived), state.ReleaseMember(member, Limit, archived));
                    break;
                case 6:
                    state.SkipNew(state.EndOffset - 1 + (p % 4));
                    model.SkipNew(model.End - 1 + (p % 4));
                    break;
                case 7:
                    state.TruncateBelow(state.StartOffset - 1 + (p % 6));
                    model.TruncateBelow(model.Start - 1 + (p % 6));
                    break;
                default:
                    state = RoundTrip(state);
                    model.Restart();
                    break;
            }

            Assert.Equal(expectedArchived, archived);
            CheckInvariants(state, model);
        }
    }

    /// <summary>A snapshot restored: every non-acquired record as it was, every acquired one Available with its count.</summary>
    private static SharePartitionState RoundTrip(SharePartitionState state)
    {
        var snapshot = state.Snapshot();
        var restored = new SharePartitionState(state.StartOffset, snapshot);
        Assert.Equal((state.StartOffset, state.EndOffset), (restored.StartOffset, restored.EndOffset));
        Assert.Equal(0, restored.AcquiredCount);
        Assert.Equal(snapshot, restored.Snapshot());
        for (var offset = state.StartOffset; offset < state.EndOffset; offset++)
        {
            var (recordState, count, _) = state.StateOf(offset);
            Assert.Equal((recordState == RecordState.Acquired ? RecordState.Available : recordState, count, (string?)null), restored.StateOf(offset));
        }

        return restored;
    }

    private static void CheckInvariants(SharePartitionState state, Model model)
    {
        Assert.True(state.StartOffset <= state.EndOffset, $"start {state.StartOffset} > end {state.EndOffset}");
        Assert.Equal((model.Start, model.End), (state.StartOffset, state.EndOffset));
        Assert.Equal(state.EndOffset - state.StartOffset, state.WindowSize);
        var acquired = 0;
        for (var offset = state.StartOffset; offset < state.EndOffset; offset++)
        {
            var actual = state.StateOf(offset);
            Assert.Equal(model.StateOf(offset), actual);
            acquired += actual.State == RecordState.Acquired ? 1 : 0;
        }

        Assert.Equal(acquired, state.AcquiredCount);

        // Every offset below the start is done: the model's start moves only past acknowledged or archived offsets (or
        // truncated ones), and the state's start equals it.
        if (state.WindowSize > 0)
        {
            Assert.DoesNotContain(state.StateOf(state.StartOffset).State, (RecordState[])[RecordState.Acknowledged, RecordState.Archived]);
        }

        Assert.Equal(model.HasAvailable, state.HasAvailable);
        Assert.True(state.NextExpiryMs <= model.NextExpiryMs, $"NextExpiryMs {state.NextExpiryMs} is later than the earliest lock deadline {model.NextExpiryMs}");
        if (acquired == 0)
        {
            Assert.Equal(long.MaxValue, state.NextExpiryMs);
        }
    }

    /// <summary>The window as a plain list, one entry per offset from <see cref="Start"/>.</summary>
    private sealed class Model(long start)
    {
        private readonly List<Entry> _entries = [];

        public long Start { get; private set; } = start;

        public long End => Start + _entries.Count;

        public bool HasAvailable => _entries.Any(e => e.State == RecordState.Available);

        public long NextExpiryMs => _entries.Where(e => e.State == RecordState.Acquired).Select(e => e.Deadline).DefaultIfEmpty(long.MaxValue).Min();

        public (RecordState, short, string?) StateOf(long offset)
        {
            var e = _entries[(int)(offset - Start)];
            return (e.State, e.Count, e.Member);
        }

        public void AcquireNew(string member, long last, long deadline)
        {
            while (End <= last)
            {
                _entries.Add(new Entry { State = RecordState.Acquired, Count = 1, Member = member, Deadline = deadline });
            }
        }

        public List<AcquiredRange> AcquireAvailable(string member, int max, long deadline)
        {
            var ranges = new List<AcquiredRange>();
            for (var i = 0; i < _entries.Count && ranges.Sum(r => r.LastOffset - r.FirstOffset + 1) < max; i++)
            {
                var e = _entries[i];
                if (e.State != RecordState.Available)
                {
                    continue;
                }

                e.State = RecordState.Acquired;
                e.Count++;
                e.Member = member;
                e.Deadline = deadline;
                var offset = Start + i;
                if (ranges.Count > 0 && ranges[^1].LastOffset == offset - 1 && ranges[^1].DeliveryCount == e.Count)
                {
                    ranges[^1] = ranges[^1] with { LastOffset = offset };
                }
                else
                {
                    ranges.Add(new AcquiredRange(offset, offset, e.Count));
                }
            }

            return ranges;
        }

        public ErrorCode Acknowledge(string member, long first, long last, sbyte[] types, List<ArchivedRecord> archived)
        {
            if (first < Start || last >= End)
            {
                return ErrorCode.InvalidRecordState;
            }

            var batch = Enumerable.Range((int)(first - Start), (int)(last - first + 1)).Select(i => _entries[i]).ToList();
            if (batch.Any(e => e.State != RecordState.Acquired || e.Member != member))
            {
                return ErrorCode.InvalidRecordState;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var e = batch[i];
                e.Member = null;
                switch ((AcknowledgeType)types[types.Length == 1 ? 0 : i])
                {
                    case AcknowledgeType.Accept:
                        e.State = RecordState.Acknowledged;
                        break;
                    case AcknowledgeType.Gap:
                        e.State = RecordState.Archived;
                        break;
                    case AcknowledgeType.Reject:
                        e.State = RecordState.Archived;
                        archived.Add(new ArchivedRecord(first + i, e.Count, ArchiveReason.Rejected));
                        break;
                    default:
                        Release(e, first + i, archived);
                        break;
                }
            }

            AdvanceStart();
            return ErrorCode.None;
        }

        public int ExpireLocks(long now, List<ArchivedRecord> archived) =>
            ReleaseWhere(e => e.Deadline <= now, archived);

        public int ReleaseMember(string member, List<ArchivedRecord> archived) =>
            ReleaseWhere(e => e.Member == member, archived);

        public void SkipNew(long last)
        {
            while (End <= last)
            {
                _entries.Add(new Entry { State = RecordState.Archived });
            }

            AdvanceStart();
        }

        public void TruncateBelow(long logStart)
        {
            while (Start < logStart && _entries.Count > 0)
            {
                _entries.RemoveAt(0);
                Start++;
            }

            Start = Math.Max(Start, logStart);
            AdvanceStart();
        }

        /// <summary>What a restart from a snapshot does: locks are gone, their records Available with their count.</summary>
        public void Restart()
        {
            foreach (var e in _entries.Where(e => e.State == RecordState.Acquired))
            {
                e.State = RecordState.Available;
                e.Member = null;
            }
        }

        private int ReleaseWhere(Func<Entry, bool> filter, List<ArchivedRecord> archived)
        {
            var released = 0;
            for (var i = 0; i < _entries.Count; i++)
            {
                if (_entries[i].State == RecordState.Acquired && filter(_entries[i]))
                {
                    _entries[i].Member = null;
                    Release(_entries[i], Start + i, archived);
                    released++;
                }
            }

            AdvanceStart();
            return released;
        }

        private static void Release(Entry e, long offset, List<ArchivedRecord> archived)
        {
            e.State = e.Count >= Limit ? RecordState.Archived : RecordState.Available;
            if (e.State == RecordState.Archived)
            {
                archived.Add(new ArchivedRecord(offset, e.Count, ArchiveReason.DeliveryLimit));
            }
        }

        private void AdvanceStart()
        {
            while (_entries.Count > 0 && _entries[0].State is RecordState.Acknowledged or RecordState.Archived)
            {
                _entries.RemoveAt(0);
                Start++;
            }
        }

        private sealed class Entry
        {
            public RecordState State { get; set; }

            public short Count { get; set; }

            public string? Member { get; set; }

            public long Deadline { get; set; }
        }
    }
}
