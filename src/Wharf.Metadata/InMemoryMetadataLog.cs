using System.Runtime.CompilerServices;

namespace Wharf.Metadata;

/// <summary>
/// An <see cref="IMetadataLog"/> in memory, for controller tests and simulations: one node's view of an
/// <see cref="InMemoryMetadataStore"/>. Nodes opened on one store (<see cref="InMemoryMetadataStore.OpenLog"/>) share
/// the log and the election, so a simulation can run several controllers and followers; the parameterless and
/// leadership constructors give a log with a store of its own whose node is the given controller.
/// <see cref="Leadership"/> can be set to test fencing; <see cref="FailNextAppend"/> makes the next append throw an
/// <see cref="IOException"/>. The view never lags the store: leadership and commits are seen at once.
/// Thread-safety: the store's lock guards all state; events come from the store's ordered queue (see
/// <see cref="InMemoryMetadataStore"/>).
/// </summary>
public sealed class InMemoryMetadataLog : IMetadataLog
{
    private readonly InMemoryMetadataStore _store;

    public InMemoryMetadataLog(MetadataLeadership leadership)
    {
        _store = new InMemoryMetadataStore(leadership);
        NodeId = leadership.ControllerId;
    }

    public InMemoryMetadataLog()
        : this(new MetadataLeadership(1, 1))
    {
    }

    internal InMemoryMetadataLog(InMemoryMetadataStore store, int nodeId)
    {
        _store = store;
        NodeId = nodeId;
    }

    /// <summary>The node this view campaigns for.</summary>
    public int NodeId { get; }

    /// <summary>The store behind this view (shared with the other nodes' views).</summary>
    public InMemoryMetadataStore Store => _store;

    /// <summary>The store's leadership; setting it changes the store's (and raises <see cref="LeadershipChanged"/>).</summary>
    public MetadataLeadership Leadership
    {
        get => _store.Leadership;
        set => _store.SetLeadership(value);
    }

    public event Action<MetadataLeadership>? LeadershipChanged;

    public long CommittedOffset => _store.CommittedOffset;

    public MetadataSnapshot? LatestSnapshot => _store.LatestSnapshot;

    /// <summary>When set, the next append (by any node of the store) fails with an <see cref="IOException"/> and leaves nothing behind.</summary>
    public bool FailNextAppend
    {
        get => _store.FailNextAppend;
        set => _store.FailNextAppend = value;
    }

    public IReadOnlyList<MetadataBatch> Batches => _store.Batches;

    public ValueTask<long> AppendAsync(IReadOnlyList<MetadataRecord> records, int controllerEpoch, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_store.Append(records, controllerEpoch));

    public async IAsyncEnumerable<MetadataBatch> ReadCommittedAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        var snapshotOffset = _store.LatestSnapshot?.Offset ?? -1;
        foreach (var batch in _store.Read(Math.Max(afterOffset, snapshotOffset)).Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return batch;
        }
    }

    public async IAsyncEnumerable<MetadataBatch> FollowAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = afterOffset;
        while (true)
        {
            var (batches, changed) = _store.Read(after);
            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return batch;
                after = batch.LastOffset;
            }

            if (batches.Count == 0)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public ValueTask WriteSnapshotAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken)
    {
        _store.WriteSnapshot(snapshot);
        return ValueTask.CompletedTask;
    }

    public ValueTask<MetadataSnapshot?> ReadLatestSnapshotAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_store.LatestSnapshot);

    public ValueTask<MetadataLeadership> CampaignAsync(CancellationToken cancellationToken) => _store.CampaignAsync(NodeId, cancellationToken);

    public ValueTask ResignAsync(CancellationToken cancellationToken) => _store.ResignAsync(NodeId);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal void RaiseLeadershipChanged(MetadataLeadership leadership) => LeadershipChanged?.Invoke(leadership);
}
