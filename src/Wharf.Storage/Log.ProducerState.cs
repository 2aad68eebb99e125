using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>
/// The log's idempotent-producer state (<see cref="ProducerStateManager"/>, <c>&lt;offset&gt;.snapshot</c> files):
/// checked before a leader append, updated after every append, snapshotted at each roll and at a clean stop,
/// rebuilt at open and after truncation from the newest snapshot at or below the log end plus a replay of the
/// batch headers after it, pruned by retention. Every member runs under the write lock.
/// </summary>
public sealed partial class Log
{
    private readonly ProducerStateManager _producerState;

    /// <summary>The producer state; callers outside the log must hold no expectation of thread-safety (tests only).</summary>
    internal ProducerStateManager ProducerState => _producerState;

    /// <summary>Copies of the producers this partition knows (DescribeProducers, tests).</summary>
    public IReadOnlyList<ProducerStateEntry> ActiveProducers()
    {
        lock (_writeLock)
        {
            return [.. _producerState.Producers.Select(p => p.Clone())];
        }
    }

    /// <summary>
    /// Forgets producers with no append for <paramref name="expirationMs"/> (<c>producer.id.expiration.ms</c>) and no
    /// open transaction, by the environment's clock. Returns how many were removed.
    /// </summary>
    public int RemoveExpiredProducers(long expirationMs)
    {
        lock (_writeLock)
        {
            return _disposed ? 0 : _producerState.RemoveExpiredProducers(_environment.NowMs, expirationMs);
        }
    }

    /// <summary>
    /// Checks every producer batch of a leader append. Returns the original batch when the append is exactly one
    /// batch that repeats a cached one; throws <see cref="ProducerStateException"/> when a check fails.
    /// </summary>
    private ProducerBatchMetadata? CheckProducerBatchesLocked(ReadOnlySpan<byte> records, int batchCount, long firstOffset, long now, bool fromCoordinator)
    {
        if (batchCount == 1)
        {
            var header = RecordBatchHeader.Read(records);
            var check = _producerState.Check(header, null, fromCoordinator, MarkerOf(header, records));
            return check.Error != ErrorCode.None ? throw new ProducerStateException(check.Error, check.Message!) : check.Duplicate;
        }

        // Several batches in one append: later batches are checked against the state the earlier ones leave.
        Dictionary<long, ProducerStateEntry>? staged = null;
        var next = firstOffset;
        for (var position = 0; position < records.Length;)
        {
            var header = RecordBatchHeader.Read(records[position..]);
            if (header.HasProducerId)
            {
                staged ??= [];
                var marker = MarkerOf(header, records.Slice(position, header.TotalSize));
                var check = _producerState.Check(header, staged, fromCoordinator, marker);
                if (check.Error != ErrorCode.None)
                {
                    throw new ProducerStateException(check.Error, check.Message!);
                }

                if (check.Duplicate is not null)
                {
                    throw new ProducerStateException(ErrorCode.DuplicateSequenceNumber,
                        $"{TopicPartition}: batch {position} of a {batchCount}-batch append repeats sequence {header.BaseSequence} of producer {header.ProducerId}");
                }

                _producerState.Stage(header, next, now, staged, marker?.CoordinatorEpoch ?? -1);
            }

            next += header.LastOffsetDelta + 1;
            position += header.TotalSize;
        }

        return null;
    }

    private LogAppendInfo DuplicateAppendInfo(ProducerBatchMetadata duplicate, LogConfig config, int batchCount, int bytes)
    {
        var durable = config.FlushMode == LogFlushMode.Ack ? _environment.Flusher.RequestFlush(this, duplicate.LastOffset + 1) : Task.CompletedTask;
        var appendTime = config.MessageTimestampType == TimestampType.LogAppendTime ? duplicate.Timestamp : -1;
        return new LogAppendInfo(duplicate.FirstOffset, duplicate.LastOffset, appendTime, duplicate.Timestamp, _snapshot.StartOffset, batchCount, bytes, durable, IsDuplicate: true);
    }

    /// <summary>
    /// Records the (stamped, written) batches of an append in the producer state; an ABORT marker also goes to the
    /// aborted-transaction index. Then publishes the first unstable offset (after the index: see
    /// <see cref="PublishTransactionStateLocked"/>).
    /// </summary>
    private void UpdateProducerStateLocked(ReadOnlySpan<byte> records, long now, long endOffset)
    {
        for (var position = 0; position < records.Length;)
        {
            var header = RecordBatchHeader.Read(records[position..]);
            var coordinatorEpoch = header.IsControl && header.HasProducerId ? RecordMarkerLocked(header, records.Slice(position, header.TotalSize)) : -1;
            _producerState.Update(header, now, coordinatorEpoch);
            position += header.TotalSize;
        }

        _producerState.UpdateMapEndOffset(endOffset);
        PublishTransactionStateLocked();
    }

    /// <summary>
    /// Writes a snapshot at the log end without fsync (the next <see cref="Flush"/> makes it durable); a failure is
    /// logged (recovery then replays from an older one).
    /// </summary>
    private void SnapshotProducerStateLocked()
    {
        try
        {
            _producerState.UpdateMapEndOffset(_snapshot.EndOffset);
            _producerState.TakeSnapshot(durable: false);
        }
        catch (IOException e)
        {
            _environment.Logger.LogWarning(e, "{Partition}: could not write the producer state snapshot at {Offset}", TopicPartition, _snapshot.EndOffset);
        }
    }

    /// <summary>
    /// Rebuilds the producer state for the current log: loads the newest snapshot at or below the log end (deleting
    /// later and corrupt ones) and replays the headers of every batch from its offset (or from the first segment when
    /// there is none). Replayed producers get their batch's max timestamp, capped at now, as last update time.
    /// </summary>
    private void RebuildProducerStateLocked()
    {
        var snapshot = _snapshot;
        var loaded = _producerState.LoadLatestSnapshot(snapshot.EndOffset);
        var segments = snapshot.Segments;
        var from = Math.Max(loaded ?? segments[0].BaseOffset, segments[0].BaseOffset);
        if (!LoadTransactionIndexesLocked(from))
        {
            // An unreadable .txnindex: find every aborted transaction again by replaying the whole log.
            _producerState.Clear(segments[0].BaseOffset);
            from = segments[0].BaseOffset;
            loaded = null;
        }

        var now = _environment.NowMs;
        var replayed = 0;
        Span<byte> buffer = stackalloc byte[RecordBatchLayout.HeaderSize];
        for (var i = FindSegment(segments, from); i < segments.Length && from < snapshot.EndOffset; i++)
        {
            var segment = segments[i];
            var size = snapshot.SizeOf(i);
            var position = from > segment.BaseOffset ? segment.FindBatch(from, size, out _) : 0;
            while (position >= 0 && position + RecordBatchLayout.HeaderSize <= size && segment.TryReadHeader(position, buffer, out var header))
            {
                if (header.HasProducerId)
                {
                    var coordinatorEpoch = header.IsControl ? ReplayMarkerLocked(segment, position, header) : -1;
                    _producerState.Update(header, header.MaxTimestamp > 0 ? Math.Min(now, header.MaxTimestamp) : now, coordinatorEpoch);
                }

                replayed++;
                position += header.TotalSize;
            }
        }

        _producerState.UpdateMapEndOffset(snapshot.EndOffset);
        PublishTransactionStateLocked();
        if (replayed > 0 || loaded is not null && _producerState.ProducerCount > 0)
        {
            _environment.Logger.LogInformation(
                "{Partition}: producer state rebuilt from {Source} and {Replayed} replayed batch(es): {Producers} producer(s) up to offset {End}",
                TopicPartition, loaded is null ? "no snapshot" : $"snapshot {loaded}", replayed, _producerState.ProducerCount, snapshot.EndOffset);
        }
    }

    /// <summary>At open: rebuild the producer state (see <see cref="RebuildProducerStateLocked"/>).</summary>
    private void LoadProducerState()
    {
        lock (_writeLock)
        {
            RebuildProducerStateLocked();
        }
    }

    /// <summary>After a truncation to <paramref name="newEnd"/>: later snapshots are deleted and the state is rebuilt.</summary>
    private void TruncateProducerStateLocked(long newEnd)
    {
        try
        {
            _producerState.DeleteSnapshotsAbove(newEnd);
            RebuildProducerStateLocked();
        }
        catch (IOException e)
        {
            throw StorageFailure("rebuild producer state", e);
        }
    }

    /// <summary>The log restarts empty at <paramref name="offset"/>: every snapshot goes and no producer is known.</summary>
    private void ResetProducerStateLocked(long offset)
    {
        try
        {
            _producerState.DeleteSnapshotsAbove(-1);
        }
        catch (IOException e)
        {
            throw StorageFailure("delete producer snapshots", e);
        }

        _producerState.Clear(offset);
        ClearTransactionIndexLocked();
    }

    /// <summary>Retention moved the first segment to <paramref name="firstSegmentBase"/>: older snapshots go (the newest of them stays).</summary>
    private void DeleteOldProducerSnapshotsLocked(long firstSegmentBase)
    {
        try
        {
            _producerState.DeleteSnapshotsBelow(firstSegmentBase);
        }
        catch (IOException e)
        {
            _environment.Logger.LogWarning(e, "{Partition}: could not delete old producer snapshots", TopicPartition);
        }
    }
}
