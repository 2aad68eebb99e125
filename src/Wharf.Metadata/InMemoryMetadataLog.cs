using System.Runtime.CompilerServices;

namespace Wharf.Metadata;

/// <summary>
/// An <see cref="IMetadataLog"/> in memory, for controller tests and simulations. <see cref="Leadership"/> can be
/// changed to test fencing; <see cref="FailNextAppend"/> makes the next append throw an <see cref="IOException"/>.
/// Thread-safety: a lock guards every member.
/// </summary>
public sealed class InMemoryMetadataLog(MetadataLeadership leadership) : IMetadataLog
{
    private readonly object _lock = new();
    private readonly List<MetadataBatch> _batches = [];
    private long _committed = -1;
    private MetadataSnapshot? _snapshot;
    private MetadataLeadership _leadership = leadership;

    public InMemoryMetadataLog()
        : this(new MetadataLeadership(1, 1))
    {
    }

    public MetadataLeadership Leadership
    {
        get { lock (_lock) { return _leadership; } }
        set { lock (_lock) { _leadership = value; } }
    }

    public long CommittedOffset { get { lock (_lock) { return _committed; } } }

    public MetadataSnapshot? LatestSnapshot { get { lock (_lock) { return _snapshot; } } }

    /// <summary>When set, the next append fails with an <see cref="IOException"/> and leaves nothing behind.</summary>
    public bool FailNextAppend { get; set; }

    public IReadOnlyList<MetadataBatch> Batches { get { lock (_lock) { return _batches.ToArray(); } } }

    public ValueTask<long> AppendAsync(IReadOnlyList<MetadataRecord> records, int controllerEpoch, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        lock (_lock)
        {
            if (controllerEpoch != _leadership.Epoch)
            {
                throw new NotControllerException($"Controller epoch {controllerEpoch} is fenced; the current epoch is {_leadership.Epoch}.");
            }

            if (FailNextAppend)
            {
                FailNextAppend = false;
                throw new IOException("Injected metadata log failure.");
            }

            var batch = new MetadataBatch(_committed + 1, controllerEpoch, records.ToArray());
            _batches.Add(batch);
            _committed = batch.LastOffset;
            return ValueTask.FromResult(_committed);
        }
    }

    public async IAsyncEnumerable<MetadataBatch> ReadCommittedAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var batch in Batches.Where(b => b.LastOffset > afterOffset))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return batch;
        }
    }

    public ValueTask WriteSnapshotAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _snapshot = snapshot;
            _batches.RemoveAll(b => b.LastOffset <= snapshot.Offset);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
