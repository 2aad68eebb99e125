using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>
/// The log of one partition: an ordered list of <see cref="LogSegment"/>s in the partition directory
/// (<c>&lt;topic&gt;-&lt;partition&gt;/</c>), the last one active, plus <c>leader-epoch-checkpoint</c>
/// (<see cref="LeaderEpochCache"/>). The directory holds nothing else of ours; see docs/storage.md.
/// <para>
/// Offsets: <see cref="LogStartOffset"/> ≤ every readable offset &lt; <see cref="LogEndOffset"/>. The log start
/// only moves forward (retention, DeleteRecords); the end only moves back through <see cref="TruncateTo"/>.
/// <see cref="RecoveryPoint"/>: everything below it is fsync'd; it never passes data that was not.
/// </para>
/// <para>
/// Thread-safety: one writer at a time — appends, rolls, truncation, retention and compaction swaps take the
/// write lock (a caller-side "one writer per partition" makes it uncontended). Readers
/// (<see cref="Read"/>, lookups, the offset properties) take no lock: they read an immutable
/// <see cref="LogSnapshot"/> that the writer replaces after the bytes are written, so they see only data up to
/// a published end and never block the writer. <see cref="Flush"/> takes a separate flush lock so fsyncs never
/// block appends. Lock order: write lock, then flush lock (docs/storage.md, "Concurrency").
/// </para>
/// </summary>
public sealed partial class Log : IDisposable
{
    private readonly Lock _writeLock = new();
    private readonly Lock _flushLock = new();
    private readonly LogEnvironment _environment;
    private readonly List<(LogSegment Segment, long DeleteAtMs)> _retired = [];
    private volatile LogSnapshot _snapshot;
    private volatile LogConfig _config;
    private long _recoveryPoint;
    private int _directoryDirty;
    private bool _disposed;

    private Log(LogEnvironment environment, string directory, TopicPartition topicPartition, LogConfig config, LeaderEpochCache epochs, LogSnapshot snapshot, long recoveryPoint)
    {
        _environment = environment;
        Directory = directory;
        TopicPartition = topicPartition;
        _config = config;
        LeaderEpochCache = epochs;
        _producerState = new ProducerStateManager(directory, topicPartition, environment);
        _snapshot = snapshot;
        _recoveryPoint = recoveryPoint;
    }

    /// <summary>An immutable view of the segments and bounds; replaced on every change.</summary>
    internal sealed record LogSnapshot(LogSegment[] Segments, long StartOffset, long EndOffset, long ActiveSize)
    {
        public LogSegment Active => Segments[^1];

        /// <summary>Published size of segment <paramref name="i"/>.</summary>
        public long SizeOf(int i) => i == Segments.Length - 1 ? ActiveSize : Segments[i].Size;
    }

    public TopicPartition TopicPartition { get; }

    public string Directory { get; }

    /// <summary>The topic's settings; replace to apply a config change (next append/roll/retention sees it).</summary>
    public LogConfig Config
    {
        get => _config;
        set => _config = value;
    }

    public long LogStartOffset => _snapshot.StartOffset;

    /// <summary>The offset the next appended record gets.</summary>
    public long LogEndOffset => _snapshot.EndOffset;

    /// <summary>Everything below this offset is fsync'd (and was verified at the last load).</summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    public LeaderEpochCache LeaderEpochCache { get; }

    /// <summary>Total bytes of all segments.</summary>
    public long Size
    {
        get
        {
            var snapshot = _snapshot;
            long size = 0;
            for (var i = 0; i < snapshot.Segments.Length; i++)
            {
                size += snapshot.SizeOf(i);
            }

            return size;
        }
    }

    public int SegmentCount => _snapshot.Segments.Length;

    /// <summary>Base offsets of the segments, oldest first.</summary>
    public IReadOnlyList<long> SegmentBaseOffsets => [.. _snapshot.Segments.Select(s => s.BaseOffset)];

    internal LogSnapshot Snapshot => _snapshot;

    internal LogEnvironment Environment => _environment;

    /// <summary>
    /// Appends record batches from a producer to this leader: validates each (size, magic, CRC-32C,
    /// <c>max.message.bytes</c>), assigns offsets by rewriting each header's base offset and partition leader epoch
    /// (and, for LogAppendTime topics, its timestamp and CRC), records the epoch's start, and writes the bytes
    /// unchanged otherwise. <paramref name="records"/> is modified in place. The returned
    /// <see cref="LogAppendInfo.Durable"/> completes once fsync'd.
    /// Batches with a producer id pass the idempotence checks of <see cref="ProducerStateManager"/> first; a retry of
    /// a batch already in the log appends nothing and returns the original offsets with
    /// <see cref="LogAppendInfo.IsDuplicate"/> set (its <c>Durable</c> completes once those offsets are fsync'd).
    /// </summary>
    /// <exception cref="ProducerStateException">a sequence or epoch check failed; nothing was written.</exception>
    /// <exception cref="InvalidRecordBatchException">a batch is malformed; nothing was written.</exception>
    /// <exception cref="RecordTooLargeException">a batch exceeds <c>max.message.bytes</c>; nothing was written.</exception>
    /// <exception cref="LogException">INVALID_TIMESTAMP: a record is outside <c>message.timestamp.before/after.max.ms</c> (<see cref="TimestampBounds"/>).</exception>
    /// <exception cref="LogStorageException">an I/O error (e.g. disk full); nothing was published.</exception>
    /// <remarks>
    /// With <c>compression.type</c> set to a codec (<see cref="LogConfig.Compression"/>), a client's batch in another
    /// codec is first rebuilt in that codec (<see cref="BatchRecompression"/>) and the rebuilt copy is stamped and
    /// written; with <c>producer</c> (the default) the bytes are written as sent.
    /// </remarks>
    /// <param name="records">One or more record batches as the producer sent them; offsets and epoch are stamped in place.</param>
    /// <param name="leaderEpoch">This replica's leader epoch, written into every batch.</param>
    /// <param name="origin"><see cref="AppendOrigin.Coordinator"/> for a coordinator's own batches (transaction markers,
    /// transactional offset commits): only producer epochs are checked, never sequences.</param>
    /// <param name="crcVerified">The caller has already checked every batch's CRC-32C on these bytes (the Produce path
    /// does, before anything else); sizes and magic are still checked here.</param>
    public LogAppendInfo AppendAsLeader(Memory<byte> records, int leaderEpoch, AppendOrigin origin = AppendOrigin.Client, bool crcVerified = false)
    {
        var config = _config;
        if (config.Compression is { } target && origin == AppendOrigin.Client)
        {
            records = BatchRecompression.Recompress(records, target, MaxDecompressedBytes(config));
        }
        var batchCount = ValidateBatches(records.Span, config, verifyCrc: !crcVerified);
        if (origin == AppendOrigin.Client && TimestampBounds.Apply(config))
        {
            TimestampBounds.Check(records.Span, config, _environment.NowMs, MaxDecompressedBytes(config));
        }

        long firstOffset, lastOffset, maxTimestamp = -1, appendTime = -1, startOffset;
        lock (_writeLock)
        {
            ThrowIfDisposed();
            ThrowIfOffline();
            var now = _environment.NowMs;
            var span = records.Span;
            firstOffset = _snapshot.EndOffset;
            if (CheckProducerBatchesLocked(span, batchCount, firstOffset, now, origin == AppendOrigin.Coordinator) is { } duplicate)
            {
                return DuplicateAppendInfo(duplicate, config, batchCount, records.Length);
            }

            var next = firstOffset;
            for (var position = 0; position < span.Length;)
            {
                var batch = span[position..];
                var header = RecordBatchHeader.Read(batch);
                RecordBatchHeader.StampOffsetAndEpoch(batch, next, leaderEpoch);
                if (config.MessageTimestampType == TimestampType.LogAppendTime)
                {
                    SetLogAppendTime(batch[..header.TotalSize], now);
                    appendTime = now;
                    maxTimestamp = now;
                }
                else
                {
                    maxTimestamp = Math.Max(maxTimestamp, header.MaxTimestamp);
                }

                next += header.LastOffsetDelta + 1;
                position += header.TotalSize;
            }

            lastOffset = next - 1;
            try
            {
                MaybeRoll(config, now, firstOffset, lastOffset, span.Length);
                LeaderEpochCache.Assign(leaderEpoch, firstOffset);
                _snapshot.Active.Append(span, config.IndexIntervalBytes, now);
            }
            catch (IOException e)
            {
                throw StorageFailure("append", e);
            }

            UpdateProducerStateLocked(span, now, next);
            Publish(_snapshot.Segments, _snapshot.StartOffset, next);
            startOffset = _snapshot.StartOffset;
        }

        var durable = config.FlushMode == LogFlushMode.Ack ? _environment.Flusher.RequestFlush(this, lastOffset + 1) : Task.CompletedTask;
        return new LogAppendInfo(firstOffset, lastOffset, appendTime, maxTimestamp, startOffset, batchCount, records.Length, durable);
    }

    /// <summary><see cref="AppendAsLeader"/>, completing once the append is durable under the topic's flush mode.</summary>
    public async Task<LogAppendInfo> AppendAsLeaderAsync(Memory<byte> records, int leaderEpoch, AppendOrigin origin = AppendOrigin.Client)
    {
        var info = AppendAsLeader(records, leaderEpoch, origin);
        await info.Durable.ConfigureAwait(false);
        return info;
    }

    /// <summary>
    /// Appends batches fetched from the leader, keeping their offsets and epochs. The first batch must start at
    /// or after <see cref="LogEndOffset"/> (a gap is allowed: the leader may have compacted), offsets must increase.
    /// </summary>
    public LogAppendInfo AppendAsFollower(Memory<byte> records)
    {
        var config = _config;
        var batchCount = ValidateBatches(records.Span, config, verifyCrc: true);
        long firstOffset, lastOffset = -1, maxTimestamp = -1, startOffset;
        lock (_writeLock)
        {
            ThrowIfDisposed();
            ThrowIfOffline();
            var now = _environment.NowMs;
            var span = records.Span;
            firstOffset = RecordBatchHeader.Read(span).BaseOffset;
            var expected = _snapshot.EndOffset;
            for (var position = 0; position < span.Length;)
            {
                var header = RecordBatchHeader.Read(span[position..]);
                if (header.BaseOffset < expected)
                {
                    throw new InvalidRecordBatchException(RecordBatchError.InvalidRecordCount, $"{TopicPartition}: follower batch at offset {header.BaseOffset} is below the expected offset {expected}.");
                }

                expected = header.NextOffset;
                lastOffset = header.LastOffset;
                maxTimestamp = Math.Max(maxTimestamp, header.MaxTimestamp);
                position += header.TotalSize;
            }

            try
            {
                MaybeRoll(config, now, firstOffset, lastOffset, span.Length);
                for (var position = 0; position < span.Length;)
                {
                    var header = RecordBatchHeader.Read(span[position..]);
                    LeaderEpochCache.Assign(header.PartitionLeaderEpoch, header.BaseOffset);
                    position += header.TotalSize;
                }

                _snapshot.Active.Append(span, config.IndexIntervalBytes, now);
            }
            catch (IOException e)
            {
                throw StorageFailure("append", e);
            }

            UpdateProducerStateLocked(span, now, lastOffset + 1);
            Publish(_snapshot.Segments, _snapshot.StartOffset, lastOffset + 1);
            startOffset = _snapshot.StartOffset;
        }

        var durable = config.FlushMode == LogFlushMode.Ack ? _environment.Flusher.RequestFlush(this, lastOffset + 1) : Task.CompletedTask;
        return new LogAppendInfo(firstOffset, lastOffset, -1, maxTimestamp, startOffset, batchCount, records.Length, durable);
    }

    /// <summary>
    /// The end of what is on disk: under <c>log.flush.mode=ack</c> the offsets below the last fsync
    /// (<see cref="RecoveryPoint"/>); under <c>interval</c> the log end offset, as Kafka counts a replica's bytes once
    /// written. A replica counts toward the high watermark only up to this.
    /// </summary>
    public long DurableEndOffset => _config.FlushMode == LogFlushMode.Ack ? Math.Min(RecoveryPoint, LogEndOffset) : LogEndOffset;

    /// <summary>A task that completes once the log is durable below <paramref name="endOffset"/> under its flush mode (at once under <c>interval</c>).</summary>
    public Task WhenDurable(long endOffset) =>
        _config.FlushMode == LogFlushMode.Ack ? _environment.Flusher.RequestFlush(this, endOffset) : Task.CompletedTask;

    /// <summary>
    /// Whole batches starting with the one that contains <paramref name="offset"/>, up to
    /// <paramref name="maxBytes"/> and only batches that end at or below <paramref name="maxOffsetExclusive"/> (the
    /// high watermark or last stable offset for consumers), from one segment. When the first batch alone exceeds
    /// <paramref name="maxBytes"/> it is still returned if <paramref name="minOneBatch"/> (KIP-74). An offset equal to
    /// the log end gives an empty slice.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">below the log start or above the log end.</exception>
    /// <exception cref="LogStorageException">the log is offline and <paramref name="offset"/> is not below its recovery point.</exception>
    public LogReadResult Read(long offset, int maxBytes, long maxOffsetExclusive = long.MaxValue, bool minOneBatch = true)
    {
        var snapshot = _snapshot;
        if (offset < snapshot.StartOffset || offset > snapshot.EndOffset)
        {
            throw new OffsetOutOfRangeException($"{TopicPartition}: offset {offset} is outside [{snapshot.StartOffset}, {snapshot.EndOffset}].");
        }

        var bound = OfflineReadBound(offset, Math.Min(maxOffsetExclusive, snapshot.EndOffset));
        if (offset < bound)
        {
            var segments = snapshot.Segments;
            for (var i = FindSegment(segments, offset); i < segments.Length; i++)
            {
                if (segments[i].Read(offset, maxBytes, snapshot.SizeOf(i), bound, minOneBatch) is { } slice)
                {
                    return new LogReadResult(slice, snapshot.StartOffset, snapshot.EndOffset);
                }
            }
        }

        return new LogReadResult(LogFileSlice.Empty, snapshot.StartOffset, snapshot.EndOffset);
    }

    /// <summary>
    /// Becoming leader at <paramref name="leaderEpoch"/>: records that the epoch starts at the log end, as Kafka does
    /// when a partition gets a leader (KIP-101), so the leader-epoch checkpoint is written then and not by the first
    /// produce request (with many partitions that write, a file create and fsyncs, was on every first append's path).
    /// An epoch that is not newer than the latest is ignored.
    /// </summary>
    public void AssignLeaderEpochAtEnd(int leaderEpoch)
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            LeaderEpochCache.Assign(leaderEpoch, _snapshot.EndOffset);
        }
    }

    /// <summary>
    /// fsyncs every published byte not yet known durable (each dirty file once, plus the directory after a roll)
    /// and advances <see cref="RecoveryPoint"/> to the log end seen at the start. Safe to call from any thread.
    /// </summary>
    /// <exception cref="LogStorageException">fsync failed now or earlier: the log is offline (<see cref="IsOffline"/>) and
    /// the recovery point did not move.</exception>
    public void Flush()
    {
        lock (_flushLock)
        {
            ThrowIfOffline();
            var snapshot = _snapshot;
            var recoveryPoint = RecoveryPoint;
            try
            {
                _producerState.SyncPendingSnapshot();
                if (Interlocked.Exchange(ref _directoryDirty, 0) != 0)
                {
                    _environment.FsyncDirectory(Directory);
                }

                if (recoveryPoint >= snapshot.EndOffset && snapshot.Active.FlushedSize >= snapshot.ActiveSize)
                {
                    return;
                }

                var segments = snapshot.Segments;
                for (var i = FindSegment(segments, recoveryPoint); i < segments.Length; i++)
                {
                    try
                    {
                        segments[i].FlushTo(snapshot.SizeOf(i));
                    }
                    catch (ObjectDisposedException)
                    {
                        // Removed by retention or truncation meanwhile: nothing of it needs to be durable.
                    }
                }
            }
            catch (IOException e)
            {
                throw GoOffline("fsync", e);
            }

            var target = snapshot.EndOffset;
            long current;
            do
            {
                current = Volatile.Read(ref _recoveryPoint);
                if (current >= target)
                {
                    break;
                }
            }
            while (Interlocked.CompareExchange(ref _recoveryPoint, target, current) != current);
        }
    }

    /// <summary>
    /// Starts writeback (no wait) of the active segment's new whole pages when at least <paramref name="minimumBytes"/>
    /// accumulated, so the next <see cref="Flush"/> is short (interval mode calls this several times per interval).
    /// Durability and the recovery point are unchanged. Safe to call from any thread.
    /// </summary>
    public void StartWriteback(long minimumBytes)
    {
        lock (_flushLock)
        {
            var snapshot = _snapshot;
            try
            {
                snapshot.Active.StartWriteback(snapshot.ActiveSize, minimumBytes);
            }
            catch (ObjectDisposedException)
            {
                // Rolled away or removed meanwhile: the next flush covers it.
            }
        }
    }

    /// <summary>Closes the active segment and starts a new one at the log end (no-op when it is empty).</summary>
    public void Roll()
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            if (_snapshot.ActiveSize > 0)
            {
                RollLocked(_snapshot.EndOffset);
            }
        }
    }

    private void MaybeRoll(LogConfig config, long now, long firstOffset, long lastOffset, int bytes)
    {
        var snapshot = _snapshot;
        var active = snapshot.Active;
        if (snapshot.ActiveSize == 0)
        {
            if (firstOffset != active.BaseOffset && lastOffset - active.BaseOffset > int.MaxValue)
            {
                RollLocked(firstOffset);
            }

            return;
        }

        if (snapshot.ActiveSize + bytes > config.SegmentBytes
            || (active.RollStartTimeMs >= 0 && now - active.RollStartTimeMs >= config.SegmentMs - RollJitterMs(config, active.BaseOffset))
            || IsIndexFull(active, config)
            || lastOffset - active.BaseOffset > int.MaxValue)
        {
            RollLocked(firstOffset);
        }
    }

    /// <summary>
    /// How much earlier than <c>segment.ms</c> the segment starting at <paramref name="baseOffset"/> rolls: a value in
    /// [0, min(<c>segment.jitter.ms</c>, <c>segment.ms</c>)) that differs between partitions and segments. Kafka draws
    /// it at random when the segment is created; a hash of the partition and base offset spreads rolls the same way,
    /// stays the same across restarts and needs no random source.
    /// </summary>
    internal long RollJitterMs(LogConfig config, long baseOffset)
    {
        var bound = Math.Min(config.SegmentJitterMs, config.SegmentMs);
        if (bound <= 0)
        {
            return 0;
        }

        var hash = 14695981039346656037UL; // FNV-1a over the topic, the partition and the base offset
        foreach (var c in TopicPartition.Topic)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (ulong)TopicPartition.Partition) * 1099511628211UL;
        hash = (hash ^ (ulong)baseOffset) * 1099511628211UL;
        return (long)(hash % (ulong)bound);
    }

    /// <summary>An index of the active segment holds <c>segment.index.bytes</c> worth of entries: roll, as Kafka does.</summary>
    private static bool IsIndexFull(LogSegment active, LogConfig config) =>
        active.OffsetIndex.Count >= config.SegmentIndexBytes / OffsetIndex.EntrySize
        || active.TimeIndex.Count >= config.SegmentIndexBytes / TimeIndex.EntrySize;

    /// <summary>
    /// Roll steps, each crash-safe: (0) the old segment's <c>.txnindex</c> is written, then the producer state is
    /// snapshotted at the log end (a failure of either is logged: recovery replays from an older snapshot), (1) the old segment's index files are written (rebuildable if lost),
    /// (2) the new empty <c>.log</c> is created (an empty last segment is valid), (3) the new segment is published.
    /// Nothing is fsync'd on this path (it holds the append lock): the snapshot and the directory are fsync'd by the
    /// next <see cref="Flush"/>.
    /// </summary>
    private void RollLocked(long baseOffset)
    {
        var snapshot = _snapshot;
        var old = snapshot.Active;
        try
        {
            old.WriteIndexFiles();
        }
        catch (IOException e)
        {
            _environment.Logger.LogWarning(e, "{Partition}: could not write index files of {Segment}; they will be rebuilt", TopicPartition, old);
        }

        if (WriteTransactionIndexLocked(old, baseOffset))
        {
            SnapshotProducerStateLocked(); // only over a written index: recovery trusts the index below a snapshot
        }

        var segment = LogSegment.Create(_environment, Directory, baseOffset);
        Interlocked.Exchange(ref _directoryDirty, 1);
        var segments = snapshot.ActiveSize == 0 && old.BaseOffset <= baseOffset && old.Size == 0
            ? ReplaceEmptyActive(snapshot.Segments, old, segment)
            : [.. snapshot.Segments, segment];
        _snapshot = new LogSnapshot(segments, snapshot.StartOffset, Math.Max(snapshot.EndOffset, baseOffset), 0);
    }

    private LogSegment[] ReplaceEmptyActive(LogSegment[] segments, LogSegment old, LogSegment segment)
    {
        // An empty active segment is replaced rather than kept as an empty closed segment.
        RetireLocked(old);
        return [.. segments[..^1], segment];
    }

    private void Publish(LogSegment[] segments, long startOffset, long endOffset) =>
        _snapshot = new LogSnapshot(segments, startOffset, endOffset, segments[^1].Size);

    /// <summary>Index of the last segment whose base offset is ≤ <paramref name="offset"/> (0 if none).</summary>
    internal static int FindSegment(LogSegment[] segments, long offset)
    {
        int lo = 0, hi = segments.Length - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private static int ValidateBatches(ReadOnlySpan<byte> records, LogConfig config, bool verifyCrc)
    {
        if (records.IsEmpty)
        {
            throw new InvalidRecordBatchException(RecordBatchError.Truncated, "No record batches to append.");
        }

        var count = 0;
        for (var position = 0; position < records.Length; count++)
        {
            var error = RecordBatchValidator.ValidateHeader(records[position..], out var header, verifyCrc);
            if (error != RecordBatchError.None)
            {
                throw new InvalidRecordBatchException(error, $"Record batch {count} at byte {position} is invalid: {error}.");
            }

            if (header.TotalSize > config.MaxMessageBytes)
            {
                throw new RecordTooLargeException($"Record batch {count} is {header.TotalSize} bytes; max.message.bytes is {config.MaxMessageBytes}.");
            }

            position += header.TotalSize;
        }

        return count;
    }

    /// <summary>Marks a batch LogAppendTime, sets its max timestamp to <paramref name="now"/> and recomputes the CRC.</summary>
    private static void SetLogAppendTime(Span<byte> batch, long now)
    {
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchLayout.AttributesOffset..]);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchLayout.AttributesOffset..], (short)(attributes | 0x08));
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchLayout.MaxTimestampOffset..], now);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatchLayout.CrcOffset..], Crc32C.Compute(batch[RecordBatchLayout.AttributesOffset..]));
    }

    private LogStorageException StorageFailure(string operation, Exception e)
    {
        _environment.Logger.LogError(e, "{Partition}: {Operation} failed in {Directory}", TopicPartition, operation, Directory);
        return new LogStorageException($"{TopicPartition}: {operation} failed: {e.Message}", e);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public override string ToString() => $"Log({TopicPartition}, [{LogStartOffset}, {LogEndOffset}))";
}
