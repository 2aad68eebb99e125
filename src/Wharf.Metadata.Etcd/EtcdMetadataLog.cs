using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;
using V3Electionpb;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// The metadata log on etcd (design §6; key scheme in <see cref="EtcdKeys"/>). A batch is one key
/// <c>log/&lt;base offset&gt;</c>, so it is atomic. An append is one transaction that compares the controller's election
/// key (its create revision is the controller epoch: a deposed controller's key is gone, so its append fails) and
/// that the record key does not exist yet (so a retried append cannot write twice, and two writers cannot share an
/// offset). Readers range-read the log keys in order from their position, then watch the log from the revision after;
/// a position whose records were deleted by a snapshot answers <see cref="MetadataSnapshotRequiredException"/>.
/// <para>
/// Appends after a timeout: etcd may have applied a write whose answer was lost (a member killed mid-call). Retries
/// repeat the same transaction; if the record key already holds this very batch, the earlier attempt landed and the
/// append succeeds. If no attempt gets an answer within <see cref="EtcdMetadataOptions.OperationTimeout"/>, the outcome
/// is unknown: the append throws <see cref="IOException"/> and this controller refuses further appends at its epoch
/// (<see cref="NotControllerException"/>) — it must resign, campaign again and replay the log, since its image may lack
/// a committed batch.
/// </para>
/// <para>
/// Snapshots (<see cref="WriteSnapshotAsync"/>, controller only): chunks first, then in one fenced transaction the
/// manifest, the deletion of the records it covers and of older snapshots; then etcd's history is compacted at that
/// revision, so the deleted records are really gone and watchers from before it are told to re-read.
/// </para>
/// Thread-safety: appends and snapshot writes are serialised by one semaphore; reads and follows are independent and
/// may run concurrently from any thread. <see cref="LeadershipChanged"/> is raised by one dispatcher task, in order.
/// Lifecycle: created by <see cref="EtcdMetadataStore"/>, which owns the connection and the session.
/// </summary>
public sealed partial class EtcdMetadataLog : IMetadataLog
{
    /// <summary>The largest batch value accepted: etcd refuses requests above ~1.5 MiB by default.</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    private readonly EtcdConnection _etcd;
    private readonly EtcdSession _session;
    private readonly EtcdSnapshotStore _snapshots;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<MetadataLeadership> _leadershipEvents = Channel.CreateUnbounded<MetadataLeadership>(new UnboundedChannelOptions { SingleReader = true });
    private long _committed = -1;
    private MetadataSnapshot? _snapshot;
    private Task _background = Task.CompletedTask;

    internal EtcdMetadataLog(EtcdConnection etcd, EtcdSession session, ILogger logger)
    {
        _etcd = etcd;
        _session = session;
        _snapshots = new EtcdSnapshotStore(etcd);
        _logger = logger;
        NodeId = etcd.Options.NodeId;
        _session.Lost += OnSessionLost;
    }

    /// <summary>This node's id: the one it campaigns as.</summary>
    public int NodeId { get; }

    /// <summary>Appends etcd refused because this node's election key was gone (diagnostics and tests).</summary>
    public int FencedAppends { get; private set; }

    public long CommittedOffset => Interlocked.Read(ref _committed);

    public MetadataSnapshot? LatestSnapshot => Volatile.Read(ref _snapshot);

    private EtcdKeys Keys => _etcd.Keys;

    /// <summary>Loads the newest snapshot and the committed offset, and starts watching the election.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _snapshot, await _snapshots.ReadAsync(cancellationToken).ConfigureAwait(false));
        UpdateCommitted(await ReadLastOffsetAsync(cancellationToken).ConfigureAwait(false));
        var revision = await LoadElectionAsync(cancellationToken).ConfigureAwait(false);
        _background = Task.WhenAll(
            Task.Run(() => WatchElectionAsync(revision, _stop.Token), CancellationToken.None),
            Task.Run(() => DispatchLeadershipAsync(_stop.Token), CancellationToken.None));
    }

    public async ValueTask<long> AppendAsync(IReadOnlyList<MetadataRecord> records, int controllerEpoch, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var writer = CurrentWriter(controllerEpoch);
            var batch = new MetadataBatch(writer.NextOffset, controllerEpoch, records.ToArray());
            var value = ByteString.CopyFrom(MetadataBatchCodec.Encode(batch));
            if (value.Length > MaxBatchBytes)
            {
                throw new IOException($"A metadata batch of {records.Count} records is {value.Length} bytes; etcd takes at most {MaxBatchBytes}.");
            }

            var key = Keys.Log(batch.BaseOffset);
            var txn = new TxnRequest
            {
                Compare =
                {
                    new Compare { Key = writer.Leader.Key, Target = Compare.Types.CompareTarget.Create, CreateRevision = writer.Leader.Rev },
                    new Compare { Key = key, Target = Compare.Types.CompareTarget.Version, Version = 0 },
                },
                Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = value } } },
                Failure =
                {
                    new RequestOp { RequestRange = new RangeRequest { Key = writer.Leader.Key } },
                    new RequestOp { RequestRange = new RangeRequest { Key = key } },
                },
            };

            TxnResponse response;
            try
            {
                response = await _etcd.CallAsync("metadata append", o => _etcd.Kv.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or RpcException)
            {
                writer.OutcomeUnknown = true;
                throw new IOException(
                    $"Appending metadata batch at offset {batch.BaseOffset} has an unknown outcome ({e.Message}); controller epoch {controllerEpoch} appends no more: resign and campaign again.", e);
            }

            if (!response.Succeeded)
            {
                var leader = response.Responses[0].ResponseRange.Kvs;
                var existing = response.Responses[1].ResponseRange.Kvs;
                if (existing.Count == 0 || existing[0].Value != value)
                {
                    if (leader.Count == 0 || leader[0].CreateRevision != writer.Leader.Rev)
                    {
                        Depose(writer, "its election key is gone");
                        FencedAppends++;
                        throw new NotControllerException($"Node {NodeId} is no longer the controller at epoch {controllerEpoch}: its election key is gone.");
                    }

                    writer.OutcomeUnknown = true;
                    throw new NotControllerException(
                        $"Metadata offset {batch.BaseOffset} is already taken although node {NodeId} still holds epoch {controllerEpoch}; it appends no more at this epoch.");
                }
            }

            writer.NextOffset = batch.LastOffset + 1;
            UpdateCommitted(batch.LastOffset);
            return batch.LastOffset;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async IAsyncEnumerable<MetadataBatch> ReadCommittedAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var batch in ReadFromAsync(afterOffset + 1, new StrongBox<long>(), cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>
    /// Every committed batch from offset <paramref name="expected"/> on, read in pages at one etcd revision (a page whose
    /// revision was compacted meanwhile starts the read again at the current one); <paramref name="revisionRead"/> ends
    /// as the revision the last page was read at, for a watch to continue from.
    /// </summary>
    private async IAsyncEnumerable<MetadataBatch> ReadFromAsync(long expected, StrongBox<long> revisionRead, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var revision = 0L;
        while (true)
        {
            var page = await ReadPageAsync(expected, revision, cancellationToken).ConfigureAwait(false);
            if (page.Compacted)
            {
                revision = 0;
                continue;
            }

            revision = revisionRead.Value = page.Revision;
            foreach (var batch in page.Batches)
            {
                yield return batch;
                expected = batch.LastOffset + 1;
            }

            if (!page.More)
            {
                yield break;
            }
        }
    }

    public async IAsyncEnumerable<MetadataBatch> FollowAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var expected = afterOffset + 1;
        while (true)
        {
            // Catch up with range reads at one revision, then watch from the revision after it.
            var caughtUpAt = new StrongBox<long>();
            await foreach (var batch in ReadFromAsync(expected, caughtUpAt, cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
                expected = batch.LastOffset + 1;
            }

            var revision = caughtUpAt.Value;
            var prefixEnd = EtcdKeys.RangeEnd(Keys.LogPrefix);
            await foreach (var item in EtcdWatch.RunAsync(_etcd, Keys.Log(expected), prefixEnd, revision + 1, cancellationToken).ConfigureAwait(false))
            {
                if (item.CompactRevision != 0)
                {
                    break;
                }

                var gap = false;
                foreach (var e in item.Events.Where(e => e.Type == Event.Types.EventType.Put))
                {
                    var batch = MetadataBatchCodec.Decode(e.Kv.Value.Span);
                    if (batch.LastOffset < expected)
                    {
                        continue;
                    }

                    if (batch.BaseOffset != expected)
                    {
                        gap = true;
                        break;
                    }

                    UpdateCommitted(batch.LastOffset);
                    yield return batch;
                    expected = batch.LastOffset + 1;
                }

                if (gap)
                {
                    break;
                }
            }
        }
    }

    public async ValueTask WriteSnapshotAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var writer = Volatile.Read(ref _writer)
                ?? throw new NotControllerException($"Node {NodeId} is not the controller; only the controller writes snapshots.");
            if (snapshot.Offset >= writer.NextOffset)
            {
                throw new ArgumentException($"Snapshot offset {snapshot.Offset} is beyond the committed offset {writer.NextOffset - 1}.", nameof(snapshot));
            }

            var manifest = await _snapshots.WriteChunksAsync(snapshot, cancellationToken).ConfigureAwait(false);
            var txn = new TxnRequest
            {
                Compare = { new Compare { Key = writer.Leader.Key, Target = Compare.Types.CompareTarget.Create, CreateRevision = writer.Leader.Rev } },
                Success =
                {
                    new RequestOp { RequestPut = new PutRequest { Key = Keys.SnapshotManifest, Value = EtcdSnapshotStore.Encode(manifest) } },
                    new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Keys.Log(0), RangeEnd = Keys.Log(snapshot.Offset + 1) } },
                    new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Keys.SnapshotChunksPrefix, RangeEnd = Keys.SnapshotChunksBefore(snapshot.Offset) } },
                },
            };
            var response = await _etcd.CallAsync("snapshot publish", o => _etcd.Kv.TxnAsync(txn, o), cancellationToken).ConfigureAwait(false);
            if (!response.Succeeded)
            {
                Depose(writer, "its election key is gone");
                throw new NotControllerException($"Node {NodeId} is no longer the controller; the snapshot at {snapshot.Offset} was not published.");
            }

            Volatile.Write(ref _snapshot, snapshot);
            await CompactAsync(response.Header.Revision, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Wrote metadata snapshot at offset {Offset} ({Chunks} chunks, {Bytes} bytes) to etcd and compacted at revision {Revision}",
                snapshot.Offset, manifest.Chunks, manifest.Bytes, response.Header.Revision);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask<MetadataSnapshot?> ReadLatestSnapshotAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _snapshots.ReadAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot;
    }

    /// <summary>Stops the watch and background work; idempotent (the controller and the store both dispose it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _session.Lost -= OnSessionLost;
        await _stop.CancelAsync().ConfigureAwait(false);
        _leadershipEvents.Writer.TryComplete();
        try
        {
            await _background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private int _disposed;

    private void UpdateCommitted(long offset)
    {
        var current = Interlocked.Read(ref _committed);
        while (offset > current)
        {
            var seen = Interlocked.CompareExchange(ref _committed, offset, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The last committed offset in etcd: the newest log key's batch, or the snapshot's offset, or -1.</summary>
    private async Task<long> ReadLastOffsetAsync(CancellationToken cancellationToken)
    {
        var response = await _etcd.CallAsync("last log key", o => _etcd.Kv.RangeAsync(new RangeRequest
        {
            Key = Keys.LogPrefix,
            RangeEnd = EtcdKeys.RangeEnd(Keys.LogPrefix),
            SortOrder = RangeRequest.Types.SortOrder.Descend,
            SortTarget = RangeRequest.Types.SortTarget.Key,
            Limit = 1,
        }, o), cancellationToken).ConfigureAwait(false);
        if (response.Kvs.Count == 1)
        {
            return MetadataBatchCodec.Decode(response.Kvs[0].Value.Span).LastOffset;
        }

        var manifest = await _snapshots.ReadManifestAsync(cancellationToken).ConfigureAwait(false);
        return manifest?.Offset ?? -1;
    }

    /// <summary>
    /// One page of log keys from <paramref name="expected"/> at <paramref name="revision"/> (0: the newest). A page that
    /// does not start at <paramref name="expected"/> means the records were compacted into a snapshot (or, if no
    /// snapshot covers them, that the log is damaged).
    /// </summary>
    private async Task<Page> ReadPageAsync(long expected, long revision, CancellationToken cancellationToken)
    {
        RangeResponse response;
        try
        {
            response = await _etcd.CallAsync("log range", o => _etcd.Kv.RangeAsync(new RangeRequest
            {
                Key = Keys.Log(expected),
                RangeEnd = EtcdKeys.RangeEnd(Keys.LogPrefix),
                Limit = _etcd.Options.ReadPageSize,
                Revision = revision,
            }, o), cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.OutOfRange)
        {
            return new Page([], 0, false, Compacted: true);
        }

        var at = revision == 0 ? response.Header.Revision : revision;
        var batches = response.Kvs.Select(kv => MetadataBatchCodec.Decode(kv.Value.Span)).ToList();
        var first = batches.Count > 0 ? batches[0].BaseOffset : -1;
        if (first != expected)
        {
            var manifest = await _snapshots.ReadManifestAsync(cancellationToken).ConfigureAwait(false);
            if (manifest is not null && manifest.Offset >= expected)
            {
                throw new MetadataSnapshotRequiredException(expected - 1, manifest.Offset);
            }

            if (batches.Count > 0)
            {
                throw new InvalidDataException($"The etcd metadata log has a gap: offset {expected} is missing, the next batch starts at {first}.");
            }
        }

        for (var i = 1; i < batches.Count; i++)
        {
            if (batches[i].BaseOffset != batches[i - 1].LastOffset + 1)
            {
                throw new InvalidDataException($"The etcd metadata log has a gap after offset {batches[i - 1].LastOffset}.");
            }
        }

        if (batches.Count > 0)
        {
            UpdateCommitted(batches[^1].LastOffset);
        }

        return new Page(batches, at, response.More, Compacted: false);
    }

    private async Task CompactAsync(long revision, CancellationToken cancellationToken)
    {
        try
        {
            await _etcd.CallAsync("compact", o => _etcd.Kv.CompactAsync(new CompactionRequest { Revision = revision }, o), cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.OutOfRange)
        {
            // Already compacted at or beyond this revision (by etcd's auto-compaction or an earlier snapshot).
        }
    }

    private sealed record Page(List<MetadataBatch> Batches, long Revision, bool More, bool Compacted);
}
