using Wharf.Common;

namespace Wharf.Coordinator.Share;

/// <summary>
/// The in-flight window of one share-partition (one share group × one topic partition, KIP-932): every offset in
/// [<see cref="StartOffset"/>, <see cref="EndOffset"/>) has a <see cref="RecordState"/>, a delivery count and, while
/// acquired, its member and lock deadline. Below the start offset everything is done (accepted or archived); from the
/// end offset on nothing has been delivered yet.
/// <para>
/// Transitions: Available → Acquired (a fetch; the delivery count goes up) → Acknowledged (Accept), Archived (Reject,
/// Gap) or back to Available (Release, lock expiry, the member's session closing) — archived instead when the delivery
/// count has reached the limit. The start offset then moves past every leading Acknowledged or Archived offset.
/// </para>
/// <para>
/// Invariants: <c>StartOffset ≤ EndOffset</c>; the offset at <see cref="StartOffset"/> (if any) is neither Acknowledged
/// nor Archived; only the member that acquired a record may acknowledge it, and only while it is Acquired.
/// </para>
/// Durability is the caller's: <see cref="Snapshot"/> is what is persisted (acquired records as Available with their
/// count — a lock does not survive a restart), and the constructor restores it. Times are milliseconds of the caller's
/// clock. Thread-safety: none; the owner serialises all calls.
/// </summary>
public sealed class SharePartitionState
{
    private Entry[] _ring;
    private int _head;
    private int _count;
    private int _acquired;
    private long _nextExpiryMs = long.MaxValue;

    /// <summary>A window restored from <paramref name="batches"/> (offsets in none are Available, never delivered).</summary>
    public SharePartitionState(long startOffset, IEnumerable<StateBatch>? batches = null)
    {
        StartOffset = startOffset;
        EndOffset = startOffset;
        _ring = new Entry[16];
        foreach (var batch in (batches ?? []).Where(b => b.LastOffset >= startOffset).OrderBy(b => b.FirstOffset))
        {
            for (var offset = Math.Max(batch.FirstOffset, startOffset); offset <= batch.LastOffset; offset++)
            {
                while (EndOffset < offset)
                {
                    Push(new Entry(RecordState.Available, 0));
                }

                if (offset == EndOffset)
                {
                    var state = batch.State == RecordState.Acquired ? RecordState.Available : batch.State;
                    Push(new Entry(state, batch.DeliveryCount));
                }
            }
        }

        AdvanceStart();
    }

    /// <summary>The first offset not yet done.</summary>
    public long StartOffset { get; private set; }

    /// <summary>The first offset never brought into the window.</summary>
    public long EndOffset { get; private set; }

    /// <summary>How many records are acquired now.</summary>
    public int AcquiredCount => _acquired;

    /// <summary>How many offsets the window holds.</summary>
    public int WindowSize => _count;

    /// <summary>
    /// The earliest lock deadline, or <see cref="long.MaxValue"/> when nothing is acquired. Never later than the earliest
    /// deadline; after acknowledgements it may be earlier (a deadline of a record no longer acquired) until
    /// <see cref="ExpireLocks"/> recomputes it.
    /// </summary>
    public long NextExpiryMs => _acquired == 0 ? long.MaxValue : _nextExpiryMs;

    /// <summary>Whether some record inside the window is Available (a redelivery waiting for a member).</summary>
    public bool HasAvailable
    {
        get
        {
            for (var i = 0; i < _count; i++)
            {
                if (At(i).State == RecordState.Available)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The state of <paramref name="offset"/>: below the window Acknowledged-or-Archived (reported as Archived), beyond it Available.</summary>
    public (RecordState State, short DeliveryCount, string? Member) StateOf(long offset)
    {
        if (offset < StartOffset)
        {
            return (RecordState.Archived, 0, null);
        }

        if (offset >= EndOffset)
        {
            return (RecordState.Available, 0, null);
        }

        ref var entry = ref At((int)(offset - StartOffset));
        return (entry.State, entry.DeliveryCount, entry.Member);
    }

    /// <summary>
    /// Acquires Available offsets inside the window for <paramref name="member"/>, lowest first, at most
    /// <paramref name="maxRecords"/>: the redeliveries. Each one's delivery count goes up.
    /// </summary>
    public List<AcquiredRange> AcquireAvailable(string member, int maxRecords, long lockDeadlineMs)
    {
        var ranges = new List<AcquiredRange>();
        for (var i = 0; i < _count && maxRecords > 0; i++)
        {
            ref var entry = ref At(i);
            if (entry.State != RecordState.Available)
            {
                continue;
            }

            Lock(ref entry, member, lockDeadlineMs);
            maxRecords--;
            Add(ranges, StartOffset + i, entry.DeliveryCount);
        }

        return ranges;
    }

    /// <summary>
    /// Brings [<see cref="EndOffset"/>, <paramref name="lastOffset"/>] into the window acquired by <paramref name="member"/>
    /// (delivery count 1). <paramref name="lastOffset"/> must not be below the end offset's predecessor; the caller bounds
    /// the count (<see cref="WindowSize"/>, max records).
    /// </summary>
    public AcquiredRange AcquireNew(string member, long lastOffset, long lockDeadlineMs)
    {
        var first = EndOffset;
        if (lastOffset < first)
        {
            throw new ArgumentOutOfRangeException(nameof(lastOffset), lastOffset, $"Below the end offset {first}.");
        }

        while (EndOffset <= lastOffset)
        {
            var entry = new Entry(RecordState.Available, 0);
            Lock(ref entry, member, lockDeadlineMs);
            Push(entry);
        }

        return new AcquiredRange(first, lastOffset, 1);
    }

    /// <summary>
    /// Brings [<see cref="EndOffset"/>, <paramref name="lastOffset"/>] into the window as Archived without delivering it:
    /// offsets with no record (a gap in the log), control records, records of aborted transactions under read_committed.
    /// </summary>
    public void SkipNew(long lastOffset)
    {
        if (_count == 0 && lastOffset >= EndOffset)
        {
            StartOffset = EndOffset = lastOffset + 1;
            return;
        }

        while (EndOffset <= lastOffset)
        {
            Push(new Entry(RecordState.Archived, 0));
        }

        AdvanceStart();
    }

    /// <summary>
    /// Applies one acknowledgement batch of <paramref name="member"/>: <paramref name="types"/> has one type for the whole
    /// range or one per offset. All or nothing: INVALID_RECORD_STATE when any offset is outside the window or not
    /// acquired by <paramref name="member"/>, INVALID_REQUEST for a malformed batch. Records archived by Reject or by
    /// the delivery limit (a Release at the limit) are added to <paramref name="archived"/>.
    /// </summary>
    public ErrorCode Acknowledge(string member, long firstOffset, long lastOffset, IReadOnlyList<sbyte> types, int deliveryCountLimit, List<ArchivedRecord> archived)
    {
        if (lastOffset < firstOffset || types.Count == 0 || (types.Count != 1 && types.Count != lastOffset - firstOffset + 1)
            || types.Any(t => t is < 0 or > (sbyte)AcknowledgeType.Reject))
        {
            return ErrorCode.InvalidRequest;
        }

        if (firstOffset < StartOffset || lastOffset >= EndOffset)
        {
            return ErrorCode.InvalidRecordState;
        }

        var from = (int)(firstOffset - StartOffset);
        var to = (int)(lastOffset - StartOffset);
        for (var i = from; i <= to; i++)
        {
            ref var entry = ref At(i);
            if (entry.State != RecordState.Acquired || !string.Equals(entry.Member, member, StringComparison.Ordinal))
            {
                return ErrorCode.InvalidRecordState;
            }
        }

        for (var i = from; i <= to; i++)
        {
            var type = (AcknowledgeType)(types.Count == 1 ? types[0] : types[i - from]);
            ref var entry = ref At(i);
            Unlock(ref entry);
            switch (type)
            {
                case AcknowledgeType.Accept:
                    entry.State = RecordState.Acknowledged;
                    break;
                case AcknowledgeType.Gap:
                    entry.State = RecordState.Archived;
                    break;
                case AcknowledgeType.Reject:
                    entry.State = RecordState.Archived;
                    archived.Add(new ArchivedRecord(StartOffset + i, entry.DeliveryCount, ArchiveReason.Rejected));
                    break;
                default:
                    MakeAvailable(ref entry, StartOffset + i, deliveryCountLimit, archived);
                    break;
            }
        }

        AdvanceStart();
        return ErrorCode.None;
    }

    /// <summary>
    /// Releases every lock whose deadline is at or before <paramref name="nowMs"/>; returns how many. Records at the
    /// delivery limit are archived into <paramref name="archived"/> instead of made available.
    /// </summary>
    public int ExpireLocks(long nowMs, int deliveryCountLimit, List<ArchivedRecord> archived)
    {
        if (_acquired == 0 || nowMs < _nextExpiryMs)
        {
            return 0;
        }

        return ReleaseWhere((in Entry e) => e.LockDeadlineMs <= nowMs, deliveryCountLimit, archived);
    }

    /// <summary>Releases every record <paramref name="member"/> holds (its share session closed or it left the group); returns how many.</summary>
    public int ReleaseMember(string member, int deliveryCountLimit, List<ArchivedRecord> archived) =>
        _acquired == 0 ? 0 : ReleaseWhere((in Entry e) => string.Equals(e.Member, member, StringComparison.Ordinal), deliveryCountLimit, archived);

    /// <summary>
    /// Moves the start offset to <paramref name="logStartOffset"/> when the log no longer holds the records below it
    /// (retention, DeleteRecords): what was in flight there is dropped.
    /// </summary>
    public void TruncateBelow(long logStartOffset)
    {
        while (StartOffset < logStartOffset && _count > 0)
        {
            Pop();
        }

        if (StartOffset < logStartOffset)
        {
            StartOffset = EndOffset = logStartOffset;
        }

        AdvanceStart();
    }

    /// <summary>Empties the window and starts it at <paramref name="startOffset"/> (AlterShareGroupOffsets on an empty group).</summary>
    public void Reset(long startOffset)
    {
        _ring = new Entry[16];
        _head = _count = _acquired = 0;
        _nextExpiryMs = long.MaxValue;
        StartOffset = EndOffset = startOffset;
    }

    /// <summary>The window as persisted: runs of equal state and count, acquired records written as Available.</summary>
    public List<StateBatch> Snapshot()
    {
        var batches = new List<StateBatch>();
        for (var i = 0; i < _count; i++)
        {
            ref var entry = ref At(i);
            var state = entry.State == RecordState.Acquired ? RecordState.Available : entry.State;
            var offset = StartOffset + i;
            if (batches.Count > 0 && batches[^1] is var last && last.LastOffset == offset - 1 && last.State == state && last.DeliveryCount == entry.DeliveryCount)
            {
                batches[^1] = last with { LastOffset = offset };
            }
            else
            {
                batches.Add(new StateBatch(offset, offset, state, entry.DeliveryCount));
            }
        }

        return batches;
    }

    private delegate bool EntryFilter(in Entry entry);

    private int ReleaseWhere(EntryFilter filter, int deliveryCountLimit, List<ArchivedRecord> archived)
    {
        var released = 0;
        _nextExpiryMs = long.MaxValue;
        for (var i = 0; i < _count; i++)
        {
            ref var entry = ref At(i);
            if (entry.State != RecordState.Acquired)
            {
                continue;
            }

            if (!filter(entry))
            {
                _nextExpiryMs = Math.Min(_nextExpiryMs, entry.LockDeadlineMs);
                continue;
            }

            Unlock(ref entry);
            MakeAvailable(ref entry, StartOffset + i, deliveryCountLimit, archived);
            released++;
        }

        AdvanceStart();
        return released;
    }

    private static void MakeAvailable(ref Entry entry, long offset, int deliveryCountLimit, List<ArchivedRecord> archived)
    {
        if (entry.DeliveryCount >= deliveryCountLimit)
        {
            entry.State = RecordState.Archived;
            archived.Add(new ArchivedRecord(offset, entry.DeliveryCount, ArchiveReason.DeliveryLimit));
        }
        else
        {
            entry.State = RecordState.Available;
        }
    }

    private void Lock(ref Entry entry, string member, long deadlineMs)
    {
        entry.State = RecordState.Acquired;
        entry.DeliveryCount = (short)Math.Min(entry.DeliveryCount + 1, short.MaxValue);
        entry.Member = member;
        entry.LockDeadlineMs = deadlineMs;
        _nextExpiryMs = _acquired == 0 ? deadlineMs : Math.Min(_nextExpiryMs, deadlineMs); // nothing was locked: forget old deadlines
        _acquired++;
    }

    private void Unlock(ref Entry entry)
    {
        entry.Member = null;
        entry.LockDeadlineMs = 0;
        _acquired--;
    }

    private void AdvanceStart()
    {
        while (_count > 0 && At(0).State is RecordState.Acknowledged or RecordState.Archived)
        {
            Pop();
        }
    }

    private ref Entry At(int index) => ref _ring[(_head + index) % _ring.Length];

    private void Push(Entry entry)
    {
        if (_count == _ring.Length)
        {
            var grown = new Entry[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                grown[i] = At(i);
            }

            _ring = grown;
            _head = 0;
        }

        _ring[(_head + _count) % _ring.Length] = entry;
        _count++;
        EndOffset++;
    }

    private void Pop()
    {
        ref var entry = ref At(0);
        if (entry.State == RecordState.Acquired)
        {
            _acquired--;
        }

        entry = default;
        _head = (_head + 1) % _ring.Length;
        _count--;
        StartOffset++;
    }

    private struct Entry(RecordState state, short deliveryCount)
    {
        public RecordState State = state;
        public short DeliveryCount = deliveryCount;
        public string? Member;
        public long LockDeadlineMs;
    }

    private static void Add(List<AcquiredRange> ranges, long offset, short deliveryCount)
    {
        if (ranges.Count > 0 && ranges[^1] is var last && last.LastOffset == offset - 1 && last.DeliveryCount == deliveryCount)
        {
            ranges[^1] = last with { LastOffset = offset };
        }
        else
        {
            ranges.Add(new AcquiredRange(offset, offset, deliveryCount));
        }
    }
}
