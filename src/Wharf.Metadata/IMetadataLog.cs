namespace Wharf.Metadata;

/// <summary>
/// Committed records appended together: offsets <see cref="BaseOffset"/> to <see cref="LastOffset"/>, written by
/// the controller of <see cref="ControllerEpoch"/>. A batch is atomic: replay sees all of it or none.
/// </summary>
public sealed record MetadataBatch(long BaseOffset, int ControllerEpoch, IReadOnlyList<MetadataRecord> Records)
{
    public long LastOffset => BaseOffset + Records.Count - 1;
}

/// <summary>The state of the metadata up to and including <see cref="Offset"/>, as records that rebuild it.</summary>
public sealed record MetadataSnapshot(long Offset, IReadOnlyList<MetadataRecord> Records);

/// <summary>
/// Who may write the metadata log: the active controller's node id and its epoch (the fencing token).
/// <see cref="ControllerId"/> is <see cref="NoController"/> while no controller is elected; <see cref="Epoch"/> then
/// keeps the last epoch known. Epochs only grow: a later controller always has a higher epoch.
/// </summary>
public readonly record struct MetadataLeadership(int ControllerId, int Epoch)
{
    /// <summary>The <see cref="ControllerId"/> while no controller is elected.</summary>
    public const int NoController = -1;

    /// <summary>True when some node is the active controller.</summary>
    public bool HasController => ControllerId != NoController;
}

/// <summary>An append carried a controller epoch that is not the current one: the writer was deposed.</summary>
public sealed class NotControllerException(string message) : Exception(message);

/// <summary>
/// The records after <see cref="RequestedOffset"/> were compacted away into a snapshot (the reader fell behind a
/// snapshot). The reader must rebuild its state from <see cref="IMetadataLog.ReadLatestSnapshotAsync"/> and follow
/// again from the snapshot's offset. Kafka's KRaft answers such a fetch with the snapshot id to fetch instead.
/// </summary>
public sealed class MetadataSnapshotRequiredException(long requestedOffset, long snapshotOffset)
    : Exception($"Metadata records after offset {requestedOffset} were compacted into the snapshot at offset {snapshotOffset}; reload from the snapshot.")
{
    /// <summary>The offset the reader asked to continue after.</summary>
    public long RequestedOffset { get; } = requestedOffset;

    /// <summary>The offset of the snapshot that covers the missing records (at least <see cref="RequestedOffset"/> + 1).</summary>
    public long SnapshotOffset { get; } = snapshotOffset;
}

/// <summary>
/// The metadata log port (design §6): append-and-wait-for-commit fenced by the writer's controller epoch, replay
/// of committed batches from a position, snapshots, and leadership. The embedded implementation
/// (<see cref="EmbeddedMetadataLog"/>) is a local file whose node is always the controller; the etcd one lives in
/// <c>Wharf.Metadata.Etcd</c>; <see cref="InMemoryMetadataLog"/> serves tests and simulations. Offsets start at 0 and
/// have no gaps; every record has one.
/// <para>
/// Leadership: one node at a time is the active controller, at an epoch that every new controller raises. A node
/// becomes controller with <see cref="CampaignAsync"/> and steps down with <see cref="ResignAsync"/> (or by losing
/// its session); <see cref="LeadershipChanged"/> tells every node. Only the controller of the current epoch can
/// append: a deposed controller's <see cref="AppendAsync"/> fails with <see cref="NotControllerException"/>, also when
/// its own view of the leadership is stale (the store itself fences it).
/// </para>
/// <para>
/// Reading: <see cref="ReadCommittedAsync"/> replays what is committed now and ends; <see cref="FollowAsync"/> replays
/// and then keeps yielding batches as they commit. Both yield batches in offset order, without gaps or repeats.
/// Records covered by a snapshot may be deleted: reading from before a snapshot's offset then fails with
/// <see cref="MetadataSnapshotRequiredException"/>, and the reader reloads from <see cref="ReadLatestSnapshotAsync"/>.
/// </para>
/// Thread-safety: implementations accept calls from any thread; appends are committed in call order. Events are
/// raised one at a time per instance, in the order of the changes, possibly on a background thread: handlers must
/// be quick and must not block on this log.
/// </summary>
public interface IMetadataLog : IAsyncDisposable
{
    /// <summary>
    /// The active controller and its epoch, as this node currently knows them (it may lag the store by the time a
    /// change takes to reach this node). Subscribe to <see cref="LeadershipChanged"/> before reading it to miss nothing.
    /// </summary>
    MetadataLeadership Leadership { get; }

    /// <summary>
    /// Raised with the new <see cref="Leadership"/> each time it changes (a controller elected, resigned or lost),
    /// in the order of the changes. Never raised by the embedded single-node log, whose node is always controller.
    /// </summary>
    event Action<MetadataLeadership>? LeadershipChanged;

    /// <summary>The offset of the last committed record, or -1 when the log (snapshot included) is empty.</summary>
    long CommittedOffset { get; }

    /// <summary>The newest snapshot, or null; replay starts after its offset.</summary>
    MetadataSnapshot? LatestSnapshot { get; }

    /// <summary>
    /// Appends <paramref name="records"/> as one batch and completes when it is committed (durable) with the
    /// offset of its last record.
    /// </summary>
    /// <exception cref="NotControllerException"><paramref name="controllerEpoch"/> is not <see cref="Leadership"/>'s epoch.</exception>
    /// <exception cref="IOException">the batch could not be made durable; whether it survives a restart is unknown.</exception>
    ValueTask<long> AppendAsync(IReadOnlyList<MetadataRecord> records, int controllerEpoch, CancellationToken cancellationToken);

    /// <summary>
    /// The committed batches holding offsets after <paramref name="afterOffset"/> (pass the snapshot's offset, or
    /// -1 for everything), up to the commit point at the time of the call; then the sequence ends.
    /// </summary>
    /// <exception cref="MetadataSnapshotRequiredException">
    /// the records after <paramref name="afterOffset"/> were compacted into a snapshot (implementations that delete
    /// covered records; the embedded log skips to the records it still has).
    /// </exception>
    IAsyncEnumerable<MetadataBatch> ReadCommittedAsync(long afterOffset, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="snapshot"/> (which must end on a batch boundary at or before
    /// <see cref="CommittedOffset"/>) and may drop the log entries it covers.
    /// </summary>
    ValueTask WriteSnapshotAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken);

    /// <summary>
    /// The committed batches holding offsets after <paramref name="afterOffset"/> in order, first those committed
    /// already, then each one as it commits; the sequence never ends on its own (only by
    /// <paramref name="cancellationToken"/>, which ends it with an <see cref="OperationCanceledException"/>).
    /// Connection losses to the store are retried inside; they only delay the sequence.
    /// </summary>
    /// <exception cref="MetadataSnapshotRequiredException">
    /// records after <paramref name="afterOffset"/> were compacted into a snapshot, at the start or later (a reader that
    /// fell behind a compaction); reload from <see cref="ReadLatestSnapshotAsync"/> and follow from its offset.
    /// </exception>
    IAsyncEnumerable<MetadataBatch> FollowAsync(long afterOffset, CancellationToken cancellationToken);

    /// <summary>The newest snapshot in the store (refreshing <see cref="LatestSnapshot"/>), or null when there is none.</summary>
    ValueTask<MetadataSnapshot?> ReadLatestSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Waits until this node is the active controller and returns the new <see cref="Leadership"/> (this node, with an
    /// epoch above every earlier controller's). Pass that epoch to <see cref="AppendAsync"/>. Before appending, the new
    /// controller must have replayed the log to <see cref="CommittedOffset"/> as read after this call returned.
    /// When this node already is the controller it returns the current leadership at once.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the campaign; this node is not a candidate any more.</exception>
    ValueTask<MetadataLeadership> CampaignAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Gives up leadership if this node holds it (another candidate may then be elected); does nothing otherwise.
    /// After it returns, appends at this node's old epoch fail with <see cref="NotControllerException"/>.
    /// </summary>
    ValueTask ResignAsync(CancellationToken cancellationToken);
}
