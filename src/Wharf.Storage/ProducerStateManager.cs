using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>
/// The outcome of checking one batch against a producer's state: accepted (<see cref="ErrorCode.None"/>, no
/// duplicate), a retry of a batch already in the log (<see cref="Duplicate"/> holds its original offsets), or
/// rejected with <see cref="Error"/> and a message.
/// </summary>
public readonly record struct ProducerAppendCheck(ErrorCode Error, string? Message, ProducerBatchMetadata? Duplicate)
{
    public static ProducerAppendCheck Accepted { get; } = new(ErrorCode.None, null, null);

    public bool IsAccepted => Error == ErrorCode.None && Duplicate is null;
}

/// <summary>
/// The idempotent-producer state of one partition (Kafka's <c>ProducerStateManager</c> + <c>ProducerAppendInfo</c>):
/// a <see cref="ProducerStateEntry"/> per producer id, valid for the log up to <see cref="MapEndOffset"/>, and the
/// <c>&lt;offset&gt;.snapshot</c> files (<see cref="ProducerStateSnapshot"/>) it is rebuilt from.
/// <para>
/// Rules a leader append must pass (<see cref="Check"/>), per producer, as in Kafka 2.x+:
/// no state → accept any sequence (e.g. after expiry); an exact repeat (same epoch, first and last sequence) of
/// one of the last 5 batches → a duplicate: answer with its original offsets and append nothing; a lower epoch →
/// INVALID_PRODUCER_EPOCH; a higher epoch must start at sequence 0, the same epoch must continue at last + 1
/// (wrapping from <see cref="int.MaxValue"/> to 0), else OUT_OF_ORDER_SEQUENCE_NUMBER.
/// Batches without a producer id are not tracked. Control batches (transaction markers) end the producer's open
/// transaction; transactional batches open one (<see cref="ProducerStateEntry.CurrentTxnFirstOffset"/>).
/// </para>
/// <para>
/// Lifecycle: the owning <see cref="Log"/> loads it at open (latest snapshot at or below the log end, then replays
/// the batch headers after it), updates it after every append, snapshots it at every segment roll and at a clean
/// stop, rebuilds it on truncation and deletes snapshots with the segments they cover.
/// Thread-safety: none; every call is made under the log's write lock.
/// </para>
/// </summary>
public sealed class ProducerStateManager
{
    private readonly Dictionary<long, ProducerStateEntry> _producers = [];

    /// <summary>Open transactions by (first offset, producer id): the smallest first offset bounds the last stable offset.</summary>
    private readonly SortedSet<(long FirstOffset, long ProducerId)> _ongoing = [];
    private readonly string _directory;
    private readonly LogEnvironment _environment;
    private readonly TopicPartition _topicPartition;
    private string? _pendingSync;

    public ProducerStateManager(string directory, TopicPartition topicPartition, LogEnvironment environment)
    {
        _directory = directory;
        _topicPartition = topicPartition;
        _environment = environment;
    }

    /// <summary>Every batch below this offset has been applied.</summary>
    public long MapEndOffset { get; private set; }

    public int ProducerCount => _producers.Count;

    public IReadOnlyCollection<ProducerStateEntry> Producers => _producers.Values;

    public ProducerStateEntry? GetEntry(long producerId) => _producers.GetValueOrDefault(producerId);

    /// <summary>The first offset of the oldest open transaction; null when none is open (then the last stable offset is the high watermark).</summary>
    public long? FirstUnstableOffset => _ongoing.Count == 0 ? null : _ongoing.Min.FirstOffset;

    /// <summary>Like <see cref="FirstUnstableOffset"/> but ignoring <paramref name="producerId"/>'s transaction.</summary>
    public long? FirstUnstableOffsetExcept(long producerId)
    {
        foreach (var (first, producer) in _ongoing)
        {
            if (producer != producerId)
            {
                return first;
            }
        }

        return null;
    }

    /// <summary>
    /// Checks a producer's batch before it is appended. <paramref name="staged"/> holds entries already advanced by
    /// earlier batches of the same append (see <see cref="Stage"/>); pass null for a single-batch append.
    /// </summary>
    /// <remarks>
    /// With <paramref name="fromCoordinator"/> (a coordinator's own append: transaction markers, transactional offset
    /// commits) only the epoch is checked, as Kafka does for <c>AppendOrigin.COORDINATOR</c>: a lower epoch than the
    /// partition knows is refused, sequences are not checked and nothing is a duplicate. A marker
    /// (<paramref name="marker"/>) written by an older transaction coordinator than the one that wrote the producer's
    /// last marker here is TRANSACTION_COORDINATOR_FENCED: a coordinator that lost its partition must not end a
    /// transaction its successor has already decided.
    /// </remarks>
    public ProducerAppendCheck Check(in RecordBatchHeader batch, Dictionary<long, ProducerStateEntry>? staged = null, bool fromCoordinator = false, EndTransactionMarker? marker = null)
    {
        if (!batch.HasProducerId)
        {
            return ProducerAppendCheck.Accepted;
        }

        var entry = staged?.GetValueOrDefault(batch.ProducerId) ?? _producers.GetValueOrDefault(batch.ProducerId);
        if (entry is null)
        {
            return ProducerAppendCheck.Accepted;
        }

        if (batch.IsControl || fromCoordinator)
        {
            if (batch.ProducerEpoch < entry.ProducerEpoch)
            {
                return new ProducerAppendCheck(ErrorCode.InvalidProducerEpoch,
                    $"{_topicPartition}: {(batch.IsControl ? "marker" : "coordinator batch")} of producer {batch.ProducerId} has epoch {batch.ProducerEpoch}, older than the current epoch {entry.ProducerEpoch}", null);
            }

            return batch.IsControl && marker is { } written && written.CoordinatorEpoch < entry.CoordinatorEpoch
                ? new ProducerAppendCheck(ErrorCode.TransactionCoordinatorFenced,
                    $"{_topicPartition}: marker of producer {batch.ProducerId} comes from coordinator epoch {written.CoordinatorEpoch}, older than {entry.CoordinatorEpoch} which wrote its last marker", null)
                : ProducerAppendCheck.Accepted;
        }

        var lastSequence = LastSequenceOf(batch);
        if (entry.FindDuplicate(batch.ProducerEpoch, batch.BaseSequence, lastSequence) is { } duplicate)
        {
            return new ProducerAppendCheck(ErrorCode.None, null, duplicate);
        }

        if (batch.ProducerEpoch < entry.ProducerEpoch)
        {
            return new ProducerAppendCheck(ErrorCode.InvalidProducerEpoch,
                $"{_topicPartition}: producer {batch.ProducerId} epoch {batch.ProducerEpoch} is older than the current epoch {entry.ProducerEpoch}", null);
        }

        if (batch.ProducerEpoch != entry.ProducerEpoch)
        {
            return batch.BaseSequence == 0
                ? ProducerAppendCheck.Accepted
                : new ProducerAppendCheck(ErrorCode.OutOfOrderSequenceNumber,
                    $"{_topicPartition}: producer {batch.ProducerId} starts new epoch {batch.ProducerEpoch} (current {entry.ProducerEpoch}) at sequence {batch.BaseSequence}, not 0", null);
        }

        return InSequence(entry.LastSequence, batch.BaseSequence)
            ? ProducerAppendCheck.Accepted
            : new ProducerAppendCheck(ErrorCode.OutOfOrderSequenceNumber,
                $"{_topicPartition}: producer {batch.ProducerId} epoch {batch.ProducerEpoch} sent sequence {batch.BaseSequence}, expected {NextSequence(entry.LastSequence)}", null);
    }

    /// <summary>
    /// Applies an accepted batch, to be appended at <paramref name="baseOffset"/>, to a copy in <paramref name="staged"/>;
    /// <paramref name="markerCoordinatorEpoch"/> as for <see cref="Update"/>.
    /// </summary>
    public void Stage(in RecordBatchHeader batch, long baseOffset, long nowMs, Dictionary<long, ProducerStateEntry> staged, int markerCoordinatorEpoch = -1)
    {
        if (!batch.HasProducerId)
        {
            return;
        }

        if (!staged.TryGetValue(batch.ProducerId, out var entry))
        {
            entry = _producers.GetValueOrDefault(batch.ProducerId)?.Clone() ?? new ProducerStateEntry(batch.ProducerId, batch.ProducerEpoch);
            staged[batch.ProducerId] = entry;
        }

        Apply(entry, batch, baseOffset, nowMs, markerCoordinatorEpoch);
    }

    /// <summary>
    /// Records a batch that is now in the log at <paramref name="batch"/>'s base offset (a leader append after its
    /// write, a follower append, or a replay during load). <paramref name="nowMs"/> becomes the producer's last
    /// update time. For a transaction marker, <paramref name="markerCoordinatorEpoch"/> is the coordinator epoch it
    /// carries (-1 when unreadable), remembered as the producer's <see cref="ProducerStateEntry.CoordinatorEpoch"/>.
    /// </summary>
    public void Update(in RecordBatchHeader batch, long nowMs, int markerCoordinatorEpoch = -1)
    {
        if (batch.HasProducerId)
        {
            if (!_producers.TryGetValue(batch.ProducerId, out var entry))
            {
                entry = new ProducerStateEntry(batch.ProducerId, batch.ProducerEpoch);
                _producers.Add(batch.ProducerId, entry);
            }

            var before = entry.CurrentTxnFirstOffset;
            Apply(entry, batch, batch.BaseOffset, nowMs, markerCoordinatorEpoch);
            if (entry.CurrentTxnFirstOffset != before)
            {
                _ongoing.Remove((before, batch.ProducerId));
                if (entry.CurrentTxnFirstOffset >= 0)
                {
                    _ongoing.Add((entry.CurrentTxnFirstOffset, batch.ProducerId));
                }
            }
        }

        MapEndOffset = Math.Max(MapEndOffset, batch.NextOffset);
    }

    /// <summary>Notes that the log now ends at <paramref name="offset"/> (batches without producers need no entry).</summary>
    public void UpdateMapEndOffset(long offset) => MapEndOffset = offset;

    /// <summary>
    /// Removes producers with no append for <paramref name="expirationMs"/> (<c>producer.id.expiration.ms</c>) and no
    /// open transaction. A later batch from such a producer is accepted with any sequence. Returns how many went.
    /// </summary>
    public int RemoveExpiredProducers(long nowMs, long expirationMs)
    {
        var expired = _producers.Values
            .Where(p => p.CurrentTxnFirstOffset < 0 && nowMs - p.LastUpdateMs >= expirationMs)
            .Select(p => p.ProducerId)
            .ToList();
        foreach (var producerId in expired)
        {
            _producers.Remove(producerId);
        }

        return expired.Count;
    }

    /// <summary>Forgets every producer; the map restarts at <paramref name="offset"/>.</summary>
    public void Clear(long offset)
    {
        _producers.Clear();
        _ongoing.Clear();
        MapEndOffset = offset;
    }

    /// <summary>
    /// Writes <c>&lt;MapEndOffset&gt;.snapshot</c> atomically (replacing one of that offset). With
    /// <paramref name="durable"/> false (a segment roll, on the append path) nothing is fsync'd now: the file is
    /// fsync'd by the log's next flush (<see cref="SyncPendingSnapshot"/>). An fsync here would wait, on ext4 in
    /// ordered mode, for the journal commit that first writes out the log's dirty pages — seconds of appends at full
    /// speed. A snapshot lost or torn by a crash fails its CRC and recovery replays from an older one.
    /// </summary>
    /// <exception cref="IOException">the write failed; older snapshots are intact.</exception>
    public void TakeSnapshot(bool durable = true)
    {
        var path = ProducerStateSnapshot.FileName(_directory, MapEndOffset);
        var contents = ProducerStateSnapshot.Serialize(_producers.Values);
        if (durable)
        {
            _environment.WriteFileAtomically(path, contents);
            return;
        }

        _environment.ReplaceFileWithoutSync(path, contents);
        Volatile.Write(ref _pendingSync, path);
    }

    /// <summary>fsyncs the snapshot written last without fsync, if any (the caller fsyncs the directory after).</summary>
    /// <remarks>Thread-safety: may run on a flushing thread while the log's writer takes the next snapshot.</remarks>
    public void SyncPendingSnapshot()
    {
        if (Interlocked.Exchange(ref _pendingSync, null) is { } path)
        {
            _environment.FsyncFile(path);
        }
    }

    /// <summary>Offsets of the snapshot files on disk, ascending.</summary>
    public IReadOnlyList<long> SnapshotOffsets => ProducerStateSnapshot.List(_directory);

    /// <summary>Deletes snapshots above <paramref name="offset"/> (they describe data the log no longer has).</summary>
    public void DeleteSnapshotsAbove(long offset)
    {
        foreach (var snapshot in ProducerStateSnapshot.List(_directory).Where(o => o > offset))
        {
            File.Delete(ProducerStateSnapshot.FileName(_directory, snapshot));
        }
    }

    /// <summary>Deletes snapshots below <paramref name="offset"/> except the newest of them (retention).</summary>
    public void DeleteSnapshotsBelow(long offset)
    {
        var below = ProducerStateSnapshot.List(_directory).Where(o => o < offset).ToList();
        foreach (var snapshot in below.Take(below.Count - 1))
        {
            File.Delete(ProducerStateSnapshot.FileName(_directory, snapshot));
        }
    }

    /// <summary>
    /// Replaces the state with the newest readable snapshot at or below <paramref name="logEndOffset"/> and returns
    /// its offset (where replay must start); returns null, with the state empty, when there is none. Snapshots
    /// above the log end and corrupt ones are deleted.
    /// </summary>
    public long? LoadLatestSnapshot(long logEndOffset)
    {
        DeleteSnapshotsAbove(logEndOffset);
        _producers.Clear();
        _ongoing.Clear();
        var offsets = ProducerStateSnapshot.List(_directory);
        for (var i = offsets.Count - 1; i >= 0; i--)
        {
            var path = ProducerStateSnapshot.FileName(_directory, offsets[i]);
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (IOException e)
            {
                _environment.Logger.LogWarning(e, "{Partition}: cannot read producer snapshot {File}; trying an older one", _topicPartition, Path.GetFileName(path));
                continue;
            }

            if (!ProducerStateSnapshot.TryDeserialize(bytes, out var producers, out var problem))
            {
                _environment.Logger.LogWarning("{Partition}: producer snapshot {File} is corrupt ({Problem}); deleting it", _topicPartition, Path.GetFileName(path), problem);
                File.Delete(path);
                continue;
            }

            foreach (var producer in producers)
            {
                _producers[producer.ProducerId] = producer;
                if (producer.CurrentTxnFirstOffset >= 0)
                {
                    _ongoing.Add((producer.CurrentTxnFirstOffset, producer.ProducerId));
                }
            }

            MapEndOffset = offsets[i];
            return offsets[i];
        }

        MapEndOffset = 0;
        return null;
    }

    /// <summary>The sequence of the batch's last record: base + last offset delta, wrapping after <see cref="int.MaxValue"/>.</summary>
    public static int LastSequenceOf(in RecordBatchHeader batch) => IncrementSequence(batch.BaseSequence, batch.LastOffsetDelta);

    /// <summary>Kafka's <c>DefaultRecordBatch.incrementSequence</c>: sequences wrap from <see cref="int.MaxValue"/> to 0.</summary>
    public static int IncrementSequence(int sequence, int increment) =>
        sequence > int.MaxValue - increment ? increment - (int.MaxValue - sequence) - 1 : sequence + increment;

    private static int NextSequence(int lastSequence) => lastSequence == int.MaxValue ? 0 : lastSequence + 1;

    private static bool InSequence(int lastSequence, int nextSequence) =>
        nextSequence == (long)lastSequence + 1 || (nextSequence == 0 && lastSequence == int.MaxValue);

    private static void Apply(ProducerStateEntry entry, in RecordBatchHeader batch, long baseOffset, long nowMs, int markerCoordinatorEpoch)
    {
        entry.SetEpoch(batch.ProducerEpoch);
        entry.LastUpdateMs = nowMs;
        if (batch.IsControl)
        {
            // A COMMIT/ABORT marker closes the producer's transaction in this partition.
            entry.CurrentTxnFirstOffset = -1;
            if (markerCoordinatorEpoch >= 0)
            {
                entry.CoordinatorEpoch = markerCoordinatorEpoch;
            }

            return;
        }

        if (batch.IsTransactional && entry.CurrentTxnFirstOffset < 0)
        {
            entry.CurrentTxnFirstOffset = baseOffset;
        }

        entry.AddBatch(new ProducerBatchMetadata(batch.BaseSequence, LastSequenceOf(batch), baseOffset, baseOffset + batch.LastOffsetDelta, batch.MaxTimestamp));
    }
}
