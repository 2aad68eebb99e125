using System.Buffers;
using Microsoft.Extensions.Logging;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>Who an append comes from: a client (every producer check) or a coordinator (markers, transactional offsets).</summary>
public enum AppendOrigin
{
    Client,
    Coordinator,
}

/// <summary>
/// Transactions in the log (KIP-98): the first unstable offset — the first offset of the oldest open transaction,
/// which bounds the last stable offset (LSO) — and the aborted-transaction index: every transaction ended by an
/// ABORT marker, kept in memory in marker order and per segment in <c>.txnindex</c> files
/// (<see cref="TransactionIndexFile"/>).
/// <para>
/// Publication order (readers take no lock): an ABORT marker's index entry is published before the first unstable
/// offset moves past its transaction, and both before the high watermark passes the marker. A reader that takes
/// the high watermark, then <see cref="FirstUnstableOffset"/>, then the data, then
/// <see cref="CollectAbortedTransactions"/> therefore never sees aborted data without its entry.
/// </para>
/// <para>
/// Recovery: the index files of all segments are read at open; entries at or above the offset the producer state
/// is replayed from are dropped and rebuilt by that replay (an ABORT marker closes the producer's open
/// transaction, whose first offset the replayed state knows). An unreadable file makes the replay start at the
/// first segment. Truncation drops entries at or above the replay start the same way; retention drops entries of
/// deleted segments. Every member runs under the write lock except the two readers.
/// </para>
/// </summary>
public sealed partial class Log
{
    private readonly List<AbortedTransaction> _abortedTransactions = [];
    private volatile AbortedTransaction[] _publishedAborted = [];
    private long _firstUnstableOffset = long.MaxValue;
    private bool _transactionIndexLoaded;

    /// <summary>The first offset of the oldest open transaction, or null when none is open. Lock-free.</summary>
    public long? FirstUnstableOffset => Volatile.Read(ref _firstUnstableOffset) is var offset && offset == long.MaxValue ? null : offset;

    /// <summary>
    /// Aborted transactions that overlap [<paramref name="fetchOffset"/>, <paramref name="upperBoundOffset"/>): marker at
    /// or after the fetch offset, first offset before the bound. What a read_committed Fetch returns beside the data.
    /// Lock-free.
    /// </summary>
    public List<AbortedTransaction> CollectAbortedTransactions(long fetchOffset, long upperBoundOffset)
    {
        var all = _publishedAborted;
        var result = new List<AbortedTransaction>();
        int lo = 0, hi = all.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (all[mid].LastOffset < fetchOffset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (var i = lo; i < all.Length; i++)
        {
            if (all[i].FirstOffset < upperBoundOffset)
            {
                result.Add(all[i]);
            }
        }

        return result;
    }

    /// <summary>Every aborted transaction the log knows, in marker order (tests, tools).</summary>
    public IReadOnlyList<AbortedTransaction> AbortedTransactions => _publishedAborted;

    /// <summary>
    /// A live ABORT or COMMIT marker at <paramref name="header"/>'s offset: an abort of an open transaction is indexed.
    /// Returns the marker's coordinator epoch (-1 when the control batch holds no readable marker).
    /// </summary>
    private int RecordMarkerLocked(in RecordBatchHeader header, ReadOnlySpan<byte> batch)
    {
        if (MarkerOf(header, batch) is not { } marker)
        {
            return -1;
        }

        var first = _producerState.GetEntry(header.ProducerId)?.CurrentTxnFirstOffset ?? -1;
        if (marker.Type != ControlRecordType.Abort || first < 0)
        {
            return marker.CoordinatorEpoch; // a commit, or nothing of this producer's transaction is in this partition
        }

        var lastStable = _producerState.FirstUnstableOffsetExcept(header.ProducerId) ?? header.NextOffset;
        _abortedTransactions.Add(new AbortedTransaction(header.ProducerId, first, header.BaseOffset, Math.Min(lastStable, header.NextOffset)));
        _publishedAborted = [.. _abortedTransactions];
        return marker.CoordinatorEpoch;
    }

    /// <summary>During the producer state replay: reads the control batch at <paramref name="position"/>, indexes an abort and returns its coordinator epoch.</summary>
    private int ReplayMarkerLocked(LogSegment segment, long position, in RecordBatchHeader header)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(header.TotalSize);
        try
        {
            segment.ReadExactly(buffer.AsSpan(0, header.TotalSize), position);
            return RecordMarkerLocked(header, buffer.AsSpan(0, header.TotalSize));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The COMMIT/ABORT marker of a control batch; null for any other batch or an unreadable one.</summary>
    private static EndTransactionMarker? MarkerOf(in RecordBatchHeader header, ReadOnlySpan<byte> batch)
    {
        if (!header.IsControl || RecordBatchReader.TryOpen(batch, 1 << 16, out var reader) != RecordBatchError.None)
        {
            return null;
        }

        using (reader)
        {
            foreach (var record in reader)
            {
                return EndTransactionMarker.TryRead(record, out var marker) ? marker : null;
            }
        }

        return null;
    }

    /// <summary>Publishes the first unstable offset; called after every change of the producer state.</summary>
    private void PublishTransactionStateLocked() =>
        Volatile.Write(ref _firstUnstableOffset, _producerState.FirstUnstableOffset ?? long.MaxValue);

    /// <summary>
    /// Before a producer state replay from <paramref name="replayFrom"/>: at the first load, reads every segment's
    /// <c>.txnindex</c>; then keeps only entries whose marker is below <paramref name="replayFrom"/> (the replay finds
    /// the others again). False when a file is unreadable (the caller then replays the whole log, index emptied).
    /// </summary>
    private bool LoadTransactionIndexesLocked(long replayFrom)
    {
        if (!_transactionIndexLoaded)
        {
            _transactionIndexLoaded = true;
            foreach (var segment in _snapshot.Segments)
            {
                var path = TransactionIndexFile.FileName(Directory, segment.BaseOffset);
                if (!File.Exists(path))
                {
                    continue;
                }

                if (!TransactionIndexFile.TryDeserialize(File.ReadAllBytes(path), out var entries, out var problem))
                {
                    _environment.Logger.LogWarning("{Partition}: {File} is corrupt ({Problem}); rebuilding the aborted-transaction index from the log", TopicPartition, Path.GetFileName(path), problem);
                    ClearTransactionIndexLocked();
                    return false;
                }

                _abortedTransactions.AddRange(entries);
            }

            _abortedTransactions.Sort((a, b) => a.LastOffset.CompareTo(b.LastOffset));
        }

        _abortedTransactions.RemoveAll(a => a.LastOffset >= replayFrom || a.LastOffset < _snapshot.Segments[0].BaseOffset);
        _publishedAborted = [.. _abortedTransactions];
        return true;
    }

    private void ClearTransactionIndexLocked()
    {
        _abortedTransactions.Clear();
        _publishedAborted = [];
        PublishTransactionStateLocked();
    }

    /// <summary>Retention removed the segments below <paramref name="firstSegmentBase"/>: their entries go too.</summary>
    private void RemoveAbortedTransactionsBelowLocked(long firstSegmentBase)
    {
        if (_abortedTransactions.RemoveAll(a => a.LastOffset < firstSegmentBase) > 0)
        {
            _publishedAborted = [.. _abortedTransactions];
        }
    }

    /// <summary>
    /// Writes the <c>.txnindex</c> of <paramref name="segment"/> (entries with a marker in [its base, <paramref name="end"/>))
    /// atomically, or deletes it when there are none. A failure is logged and returns false.
    /// </summary>
    private bool WriteTransactionIndexLocked(LogSegment segment, long end)
    {
        var path = TransactionIndexFile.FileName(Directory, segment.BaseOffset);
        var entries = _abortedTransactions.Where(a => a.LastOffset >= segment.BaseOffset && a.LastOffset < end).ToList();
        try
        {
            if (entries.Count == 0)
            {
                File.Delete(path);
            }
            else
            {
                _environment.WriteFileAtomically(path, TransactionIndexFile.Serialize(entries));
            }

            return true;
        }
        catch (IOException e)
        {
            _environment.Logger.LogWarning(e, "{Partition}: could not write {File}; it is rebuilt from the log at the next start", TopicPartition, Path.GetFileName(path));
            return false;
        }
    }
}
