namespace Wharf.Storage;

/// <summary>
/// One appended batch of an idempotent producer as the duplicate check remembers it: the sequence range the
/// producer gave it and the offsets the log gave it. <see cref="Timestamp"/> is the batch's max timestamp.
/// </summary>
public readonly record struct ProducerBatchMetadata(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset, long Timestamp);

/// <summary>
/// What one partition knows about one producer id (Kafka's <c>ProducerStateEntry</c>): its epoch, the last
/// <see cref="MaxCachedBatches"/> batches of that epoch (oldest first) so a retried batch gets its original
/// offsets back, and — for transactions — the coordinator epoch of its last marker and the first offset of its
/// open transaction. <see cref="LastUpdateMs"/> drives expiry (<c>producer.id.expiration.ms</c>).
/// <para>
/// Invariant: every cached batch belongs to <see cref="ProducerEpoch"/>; a new epoch empties the cache, and
/// sequences of cached batches are consecutive (each first sequence follows the previous last one, wrapping
/// after <see cref="int.MaxValue"/> to 0) except across a gap that was accepted for a producer without state.
/// </para>
/// Thread-safety: none; owned by a <see cref="ProducerStateManager"/> under its log's write lock.
/// </summary>
public sealed class ProducerStateEntry
{
    /// <summary>How many recent batches are kept for duplicate detection; clients cap in-flight requests at 5.</summary>
    public const int MaxCachedBatches = 5;

    private readonly List<ProducerBatchMetadata> _batches = new(MaxCachedBatches);

    public ProducerStateEntry(long producerId, short producerEpoch)
    {
        ProducerId = producerId;
        ProducerEpoch = producerEpoch;
    }

    public long ProducerId { get; }

    public short ProducerEpoch { get; private set; }

    /// <summary>Epoch of the transaction coordinator that wrote this producer's last marker; -1 when none.</summary>
    public int CoordinatorEpoch { get; internal set; } = -1;

    /// <summary>First offset of the producer's open transaction in this partition; -1 when none is open.</summary>
    public long CurrentTxnFirstOffset { get; internal set; } = -1;

    /// <summary>Broker time (Unix ms) of the last append by this producer, or the batch timestamp when replayed.</summary>
    public long LastUpdateMs { get; internal set; }

    /// <summary>The cached batches of the current epoch, oldest first.</summary>
    public IReadOnlyList<ProducerBatchMetadata> Batches => _batches;

    /// <summary>The last sequence of the newest cached batch; -1 when the cache is empty.</summary>
    public int LastSequence => _batches.Count == 0 ? -1 : _batches[^1].LastSequence;

    /// <summary>The last offset of the newest cached batch; -1 when the cache is empty.</summary>
    public long LastOffset => _batches.Count == 0 ? -1 : _batches[^1].LastOffset;

    /// <summary>A cached batch of epoch <paramref name="epoch"/> with exactly this sequence range, if any.</summary>
    public ProducerBatchMetadata? FindDuplicate(short epoch, int firstSequence, int lastSequence)
    {
        if (epoch != ProducerEpoch)
        {
            return null;
        }

        foreach (var batch in _batches)
        {
            if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
            {
                return batch;
            }
        }

        return null;
    }

    /// <summary>Moves to <paramref name="epoch"/>; a different epoch forgets the cached batches.</summary>
    internal void SetEpoch(short epoch)
    {
        if (epoch != ProducerEpoch)
        {
            ProducerEpoch = epoch;
            _batches.Clear();
        }
    }

    /// <summary>Caches a batch of the current epoch, dropping the oldest beyond <see cref="MaxCachedBatches"/>.</summary>
    internal void AddBatch(ProducerBatchMetadata batch)
    {
        if (_batches.Count > 0 && _batches[^1].LastOffset >= batch.FirstOffset)
        {
            // Replaying a batch already applied (a snapshot taken inside it): keep the state as it is.
            return;
        }

        if (_batches.Count == MaxCachedBatches)
        {
            _batches.RemoveAt(0);
        }

        _batches.Add(batch);
    }

    internal ProducerStateEntry Clone()
    {
        var copy = new ProducerStateEntry(ProducerId, ProducerEpoch)
        {
            CoordinatorEpoch = CoordinatorEpoch,
            CurrentTxnFirstOffset = CurrentTxnFirstOffset,
            LastUpdateMs = LastUpdateMs,
        };
        copy._batches.AddRange(_batches);
        return copy;
    }

    public override string ToString() =>
        $"Producer({ProducerId}, epoch {ProducerEpoch}, last seq {LastSequence}, last offset {LastOffset}, txn first offset {CurrentTxnFirstOffset})";
}
