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

/// <summary>Who may write the metadata log: the active controller's node id and its epoch (the fencing token).</summary>
public readonly record struct MetadataLeadership(int ControllerId, int Epoch);

/// <summary>An append carried a controller epoch that is not the current one: the writer was deposed.</summary>
public sealed class NotControllerException(string message) : Exception(message);

/// <summary>
/// The metadata log port (design §6): append-and-wait-for-commit fenced by the writer's controller epoch, replay
/// of committed batches from a position, snapshots, and leadership. The embedded implementation
/// (<see cref="EmbeddedMetadataLog"/>) is a local file whose node is always the controller; the etcd one lives in
/// <c>Wharf.Metadata.Etcd</c>. Offsets start at 0 and have no gaps; every record has one.
/// Thread-safety: implementations accept calls from any thread; appends are committed in call order.
/// </summary>
public interface IMetadataLog : IAsyncDisposable
{
    /// <summary>The active controller and its epoch, as this node currently knows them.</summary>
    MetadataLeadership Leadership { get; }

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
    IAsyncEnumerable<MetadataBatch> ReadCommittedAsync(long afterOffset, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="snapshot"/> (which must end on a batch boundary at or before
    /// <see cref="CommittedOffset"/>) and may drop the log entries it covers.
    /// </summary>
    ValueTask WriteSnapshotAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken);
}
