using Microsoft.Extensions.Logging;

namespace Wharf.Storage;

public sealed partial class Log
{
    /// <summary>
    /// Retention: deletes whole closed segments, oldest first, while each one (a) lies wholly below the log start
    /// offset, or, under <c>cleanup.policy=delete</c>, (b) has a newest timestamp older than <c>retention.ms</c>,
    /// (c) would leave the partition at or above <c>retention.bytes</c> without it, or (d) lies wholly below
    /// <paramref name="consumedOffset"/> — the offset below which every consumer the topic waits for has consumed
    /// (<c>retention.consumed.groups</c>; null: not known, and this rule deletes nothing). A non-empty active segment
    /// whose newest timestamp has expired is rolled first, so it can go too; rule (d) never rolls it, so the active
    /// segment is never deleted for being consumed. Segments reaching <paramref name="maxOffsetExclusive"/> (the high
    /// watermark) are kept whatever the rule. The log start offset moves to the first remaining segment. Files are
    /// renamed to <c>.deleted</c> (a crash from here on just finishes the deletion at the next start) and removed
    /// after <see cref="LogConfig.FileDeleteDelayMs"/> (<c>file.delete.delay.ms</c>). Returns the number of segments deleted.
    /// </summary>
    public int DeleteOldSegments(long maxOffsetExclusive = long.MaxValue, long? consumedOffset = null)
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return 0;
            }

            var config = _config;
            var now = _environment.NowMs;
            var deleteByRetention = config.IsDeleteEnabled;
            var snapshot = _snapshot;
            if (deleteByRetention && config.RetentionMs >= 0 && snapshot.ActiveSize > 0 && snapshot.EndOffset <= maxOffsetExclusive
                && now - LargestTimestamp(snapshot.Active) > config.RetentionMs)
            {
                RollLocked(snapshot.EndOffset);
                snapshot = _snapshot;
            }

            var segments = snapshot.Segments;
            var remaining = Size;
            var count = 0;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                var segment = segments[i];
                var nextBase = segments[i + 1].BaseOffset;
                if (nextBase > maxOffsetExclusive)
                {
                    break;
                }

                var size = snapshot.SizeOf(i);
                var expired = nextBase <= snapshot.StartOffset
                    || (deleteByRetention && config.RetentionMs >= 0 && now - LargestTimestamp(segment) > config.RetentionMs)
                    || (deleteByRetention && config.RetentionBytes >= 0 && remaining - size >= config.RetentionBytes)
                    || (deleteByRetention && consumedOffset is { } consumedBelow && nextBase <= consumedBelow);
                if (!expired)
                {
                    break;
                }

                remaining -= size;
                count++;
            }

            if (count > 0)
            {
                var newStart = Math.Max(snapshot.StartOffset, segments[count].BaseOffset);
                if (consumedOffset is { } consumed && deleteByRetention)
                {
                    _environment.Logger.LogInformation(
                        "{Partition}: retention deletes {Count} segment(s) [{First}, {NextBase}); consumed offset of the retention.consumed.groups {Consumed}; log start offset {OldStart} -> {NewStart}",
                        TopicPartition, count, segments[0].BaseOffset, segments[count].BaseOffset, consumed, snapshot.StartOffset, newStart);
                }
                else
                {
                    _environment.Logger.LogInformation(
                        "{Partition}: retention deletes {Count} segment(s) [{First}, {NextBase}); log start offset {OldStart} -> {NewStart}",
                        TopicPartition, count, segments[0].BaseOffset, segments[count].BaseOffset, snapshot.StartOffset, newStart);
                }
                _snapshot = snapshot with { Segments = segments[count..], StartOffset = newStart };
                foreach (var segment in segments[..count])
                {
                    RetireLocked(segment);
                }

                TryUpdateEpochs(() => LeaderEpochCache.TruncateFromStart(newStart));
                DeleteOldProducerSnapshotsLocked(segments[count].BaseOffset);
                RemoveAbortedTransactionsBelowLocked(segments[count].BaseOffset);
            }

            DeleteRetiredLocked(force: false);
            return count;
        }
    }

    /// <summary>
    /// DeleteRecords: moves the log start offset forward to <paramref name="offset"/> (never back). Segments wholly
    /// below it are removed by the next <see cref="DeleteOldSegments"/>. Returns whether it moved.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">beyond the log end offset.</exception>
    public bool IncrementLogStartOffset(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            var snapshot = _snapshot;
            if (offset <= snapshot.StartOffset)
            {
                return false;
            }

            if (offset > snapshot.EndOffset)
            {
                throw new OffsetOutOfRangeException($"{TopicPartition}: cannot move the log start to {offset}, beyond the log end {snapshot.EndOffset}.");
            }

            _snapshot = snapshot with { StartOffset = offset };
            TryUpdateEpochs(() => LeaderEpochCache.TruncateFromStart(offset));
            return true;
        }
    }

    /// <summary>
    /// Replication: removes every batch whose last offset is ≥ <paramref name="offset"/>. A batch containing
    /// <paramref name="offset"/> is removed whole, so the new log end can be lower than asked (it is returned). Later
    /// segments are deleted, the leader-epoch cache is cut, and the recovery point cannot exceed the new end. At or
    /// beyond the log end no batch is removed, but epochs that start at the log end (and so hold no batch) are.
    /// Below the log start offset this empties the log and restarts it at <paramref name="offset"/>.
    /// </summary>
    public long TruncateTo(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            var snapshot = _snapshot;
            if (offset >= snapshot.EndOffset)
            {
                // No batch goes, but an epoch that starts at the log end holds none either: a broker that became leader
                // (recording its epoch at the end) and lost the leadership before any append would otherwise keep
                // reporting that epoch as its last fetched one, which the new leader does not know — and the follower
                // would truncate to this same end forever, never catching up (found by the cluster simulation).
                TryUpdateEpochs(() => LeaderEpochCache.TruncateFromEnd(snapshot.EndOffset));
                return snapshot.EndOffset;
            }

            if (offset < snapshot.StartOffset)
            {
                TruncateFullyAndStartAtLocked(offset);
                return offset;
            }

            lock (_flushLock)
            {
                var segments = snapshot.Segments;
                var index = FindSegment(segments, offset);
                foreach (var later in segments[(index + 1)..])
                {
                    RetireLocked(later);
                }

                var segment = segments[index];
                try
                {
                    segment.TruncateTo(offset);

                    // The truncation is made durable before the epoch checkpoint records it: otherwise a crash can
                    // bring the removed batches back (file length and retired segments not yet on disk) under a
                    // checkpoint that no longer names their epoch, and the follower, unable to see the divergence,
                    // keeps them and rejoins the ISR with them (found by the cluster simulation).
                    _environment.Fsync(segment.Handle, segment.LogPath);
                    _environment.FsyncDirectory(Directory);
                }
                catch (IOException e)
                {
                    throw StorageFailure("truncate", e);
                }

                var newEnd = segment.NextOffset;
                _environment.Logger.LogInformation("{Partition}: truncated to offset {Offset} (log end {OldEnd} -> {NewEnd})", TopicPartition, offset, snapshot.EndOffset, newEnd);
                _snapshot = new LogSnapshot(segments[..(index + 1)], snapshot.StartOffset, newEnd, segment.Size);
                Volatile.Write(ref _recoveryPoint, Math.Min(RecoveryPoint, newEnd));
                TryUpdateEpochs(() => LeaderEpochCache.TruncateFromEnd(newEnd));
                TruncateProducerStateLocked(newEnd);
                return newEnd;
            }
        }
    }

    /// <summary>Deletes all data and restarts the log, empty, at <paramref name="offset"/> (a follower far behind).</summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            TruncateFullyAndStartAtLocked(offset);
        }
    }

    private void TruncateFullyAndStartAtLocked(long offset)
    {
        lock (_flushLock)
        {
            foreach (var segment in _snapshot.Segments)
            {
                RetireLocked(segment);
            }

            var fresh = LogSegment.Create(_environment, Directory, offset);
            Interlocked.Exchange(ref _directoryDirty, 1);
            _snapshot = new LogSnapshot([fresh], offset, offset, 0);
            Volatile.Write(ref _recoveryPoint, offset);
            TryUpdateEpochs(() => LeaderEpochCache.Clear());
            ResetProducerStateLocked(offset);
            _environment.Logger.LogInformation("{Partition}: truncated fully; log restarts at {Offset}", TopicPartition, offset);
        }
    }

    /// <summary>Takes a segment out of service: renamed to <c>.deleted</c> now, closed and deleted after the delay.</summary>
    private void RetireLocked(LogSegment segment)
    {
        try
        {
            File.Delete(TransactionIndexFile.FileName(Directory, segment.BaseOffset));
            segment.RenameAll(LogFileNames.DeletedSuffix);
        }
        catch (IOException e)
        {
            _environment.Logger.LogWarning(e, "{Partition}: could not rename {Segment} for deletion", TopicPartition, segment);
        }

        Interlocked.Exchange(ref _directoryDirty, 1);
        _retired.Add((segment, _environment.NowMs + _config.FileDeleteDelayMs));
        DeleteRetiredLocked(force: false);
    }

    private void DeleteRetiredLocked(bool force)
    {
        var now = _environment.NowMs;
        _retired.RemoveAll(entry =>
        {
            if (!force && entry.DeleteAtMs > now)
            {
                return false;
            }

            entry.Segment.DeleteFiles(_environment.Logger);
            return true;
        });
    }

    private void TryUpdateEpochs(Action update)
    {
        try
        {
            update();
        }
        catch (IOException e)
        {
            // The in-memory cache is right; the file is rebuilt from the batches if it is stale at the next start.
            _environment.Logger.LogWarning(e, "{Partition}: could not write {File}", TopicPartition, LogFileNames.LeaderEpochCheckpoint);
        }
    }

    private static long LargestTimestamp(LogSegment segment)
    {
        if (segment.MaxTimestamp >= 0)
        {
            return segment.MaxTimestamp;
        }

        try
        {
            return new DateTimeOffset(File.GetLastWriteTimeUtc(segment.LogPath)).ToUnixTimeMilliseconds();
        }
        catch (IOException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>
    /// Closes the log: fsyncs everything, writes the active segment's index files and a producer state snapshot at
    /// the log end (so the next open replays nothing), trims files to their valid size and closes them. Returns false if anything failed (then the data directory must not be marked clean).
    /// </summary>
    internal bool Close()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return true;
            }

            var ok = true;
            try
            {
                Flush();
                foreach (var segment in _snapshot.Segments)
                {
                    segment.WriteIndexFiles();
                }

                _producerState.UpdateMapEndOffset(_snapshot.EndOffset);
                if (WriteTransactionIndexLocked(_snapshot.Active, _snapshot.EndOffset))
                {
                    _producerState.TakeSnapshot();
                }
                else
                {
                    ok = false;
                }

                _snapshot.Active.TrimToSize();
            }
            catch (Exception e) when (e is IOException or LogStorageException)
            {
                _environment.Logger.LogError(e, "{Partition}: close failed; the next start will recover this log", TopicPartition);
                ok = false;
            }

            _disposed = true;
            foreach (var segment in _snapshot.Segments)
            {
                segment.Dispose();
            }

            DeleteRetiredLocked(force: true);
            return ok;
        }
    }

    /// <summary>Closes the log (see <see cref="Close"/>). Appends after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => Close();

    /// <summary>
    /// Closes every file without flushing or writing indexes: before the caller deletes the directory (topic
    /// deletion), and in tests to simulate kill -9.
    /// </summary>
    internal void CloseWithoutFlush()
    {
        lock (_writeLock)
        {
            _disposed = true;
            foreach (var segment in _snapshot.Segments)
            {
                segment.Dispose();
            }

            foreach (var (segment, _) in _retired)
            {
                segment.Dispose();
            }

            _retired.Clear();
        }
    }
}
