using System.Globalization;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;
using V3Electionpb;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// Controller election over etcd's election API (name <c>&lt;prefix&gt;/controller</c>): each candidate's key is attached
/// to its session lease; the candidate whose key has the lowest create revision is the controller, and that revision
/// is the controller epoch (so epochs only grow). The view of who leads comes from a watch over the candidates' keys,
/// so every node sees changes, its own deposition included (its key deleted by a lease expiry).
/// </summary>
public sealed partial class EtcdMetadataLog
{
    private readonly object _viewLock = new();
    private MetadataLeadership _leadership = new(MetadataLeadership.NoController, 0);
    private long _leadershipRevision;
    private Writer? _writer;

    public event Action<MetadataLeadership>? LeadershipChanged;

    public MetadataLeadership Leadership
    {
        get
        {
            lock (_viewLock)
            {
                return _leadership;
            }
        }
    }

    public async ValueTask<MetadataLeadership> CampaignAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _writer) is { OutcomeUnknown: false } current)
        {
            return new MetadataLeadership(NodeId, current.Epoch);
        }

        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var lease = await _session.WaitForLeaseAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Blocks until elected; no deadline. A retry with the same lease finds the same key (etcd's campaign
                // reuses an existing key of the lease), so it keeps its place in the queue.
                var response = await _etcd.Election.CampaignAsync(new CampaignRequest
                {
                    Name = Keys.ElectionName,
                    Lease = lease,
                    Value = ByteString.CopyFromUtf8(NodeId.ToString(CultureInfo.InvariantCulture)),
                }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                if (_session.LeaseId != lease)
                {
                    continue;
                }

                var epoch = checked((int)response.Leader.Rev);
                var next = await ReadLastOffsetAsync(cancellationToken).ConfigureAwait(false) + 1;
                var writer = new Writer(response.Leader, epoch) { NextOffset = next };
                if (_session.LeaseId != lease)
                {
                    continue;
                }

                Volatile.Write(ref _writer, writer);
                var leadership = new MetadataLeadership(NodeId, epoch);
                Publish(leadership, response.Header.Revision);
                _logger.LogInformation("Node {Node} is the controller at epoch {Epoch}; the log continues at offset {Offset}", NodeId, epoch, next);
                return leadership;
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested && (EtcdConnection.IsTransient(e, cancellationToken)
                || e.StatusCode is StatusCode.NotFound or StatusCode.Unknown or StatusCode.FailedPrecondition))
            {
                // A member died mid-campaign, or the lease expired meanwhile ("requested lease not found"): again.
                _logger.LogDebug("Campaign of node {Node} failed ({Status}: {Detail}); retrying", NodeId, e.StatusCode, e.Status.Detail);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
            }
        }
    }

    public async ValueTask ResignAsync(CancellationToken cancellationToken)
    {
        var writer = Interlocked.Exchange(ref _writer, null);
        if (writer is null)
        {
            return;
        }

        Demote(writer.Epoch);
        try
        {
            await _etcd.CallAsync("resign", o => _etcd.Election.ResignAsync(new ResignRequest { Leader = writer.Leader }, o), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unknown)
        {
            // "election: not leader": the key is gone already (lease expired).
        }

        _logger.LogInformation("Node {Node} resigned as controller at epoch {Epoch}", NodeId, writer.Epoch);
    }

    /// <summary>The writer state for an append at <paramref name="controllerEpoch"/>.</summary>
    /// <exception cref="NotControllerException">this node does not hold that epoch (any more), or an earlier append's outcome is unknown.</exception>
    private Writer CurrentWriter(int controllerEpoch)
    {
        var writer = Volatile.Read(ref _writer);
        if (writer is null || writer.Epoch != controllerEpoch)
        {
            throw new NotControllerException(
                $"Controller epoch {controllerEpoch} is fenced: node {NodeId} {(writer is null ? "is not the controller" : $"is controller at epoch {writer.Epoch}")}.");
        }

        if (writer.OutcomeUnknown)
        {
            throw new NotControllerException($"An earlier append at controller epoch {controllerEpoch} has an unknown outcome; resign and campaign again.");
        }

        return writer;
    }

    /// <summary>
    /// Tests only: this node ignores news of its own deposition (as if it had not heard yet), so that a test can show
    /// that etcd itself refuses the stale controller's append.
    /// </summary>
    internal bool FreezeLocalViewForTests { get; set; }

    private void Depose(Writer writer, string reason)
    {
        if (FreezeLocalViewForTests)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _writer, null, writer) == writer)
        {
            _logger.LogWarning("Node {Node} lost the controller role at epoch {Epoch}: {Reason}", NodeId, writer.Epoch, reason);
            Demote(writer.Epoch);
        }
    }

    /// <summary>This node stopped being controller at <paramref name="epoch"/>; the watch will tell who follows.</summary>
    private void Demote(int epoch)
    {
        lock (_viewLock)
        {
            if (_leadership.ControllerId == NodeId && _leadership.Epoch == epoch)
            {
                _leadership = _leadership with { ControllerId = MetadataLeadership.NoController };
                _leadershipEvents.Writer.TryWrite(_leadership);
            }
        }
    }

    private void OnSessionLost(long lease)
    {
        if (Volatile.Read(ref _writer) is { } writer && writer.Leader.Lease == lease)
        {
            Depose(writer, "its etcd session was lost");
        }
    }

    /// <summary>Takes <paramref name="leadership"/> as seen at <paramref name="revision"/>, unless a later view is known.</summary>
    private void Publish(MetadataLeadership leadership, long revision)
    {
        lock (_viewLock)
        {
            if (revision < _leadershipRevision || leadership == _leadership || leadership.Epoch < _leadership.Epoch)
            {
                _leadershipRevision = Math.Max(_leadershipRevision, revision);
                return;
            }

            _leadershipRevision = revision;
            _leadership = leadership;
            _leadershipEvents.Writer.TryWrite(leadership);
        }
    }

    private readonly SortedDictionary<string, (long CreateRevision, int NodeId)> _candidates = new(StringComparer.Ordinal);

    /// <summary>Lists the candidates and publishes the controller; returns the revision to watch after.</summary>
    private async Task<long> LoadElectionAsync(CancellationToken cancellationToken)
    {
        var prefix = Keys.ElectionPrefix;
        var response = await _etcd.CallAsync("election candidates", o => _etcd.Kv.RangeAsync(new RangeRequest { Key = prefix, RangeEnd = EtcdKeys.RangeEnd(prefix) }, o),
            cancellationToken).ConfigureAwait(false);
        _candidates.Clear();
        foreach (var kv in response.Kvs)
        {
            _candidates[kv.Key.ToStringUtf8()] = (kv.CreateRevision, ParseNodeId(kv.Value));
        }

        PublishCandidates(response.Header.Revision);
        return response.Header.Revision;
    }

    private async Task WatchElectionAsync(long revision, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var prefix = Keys.ElectionPrefix;
                await foreach (var item in EtcdWatch.RunAsync(_etcd, prefix, EtcdKeys.RangeEnd(prefix), revision + 1, stop).ConfigureAwait(false))
                {
                    if (item.CompactRevision != 0)
                    {
                        break;
                    }

                    foreach (var e in item.Events)
                    {
                        var key = e.Kv.Key.ToStringUtf8();
                        if (e.Type == Event.Types.EventType.Delete)
                        {
                            _candidates.Remove(key);
                            if (Volatile.Read(ref _writer) is { } writer && writer.Leader.Key == e.Kv.Key)
                            {
                                Depose(writer, "its election key was deleted");
                            }
                        }
                        else if (!_candidates.ContainsKey(key))
                        {
                            _candidates[key] = (e.Kv.CreateRevision, ParseNodeId(e.Kv.Value));
                        }
                    }

                    revision = item.Events[^1].Kv.ModRevision;
                    PublishCandidates(revision);
                }

                revision = await LoadElectionAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Stopping; gRPC reports the cancelled stream as an RpcException (Cancelled), not as a cancellation.
                return;
            }
#pragma warning disable CA1031 // The election view must outlive any etcd failure; it reloads and watches again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogWarning("Watching the controller election failed ({Error}); reloading it", e.Message);
                try
                {
                    await Task.Delay(200, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void PublishCandidates(long revision)
    {
        var leader = _candidates.Values.OrderBy(c => c.CreateRevision).Cast<(long CreateRevision, int NodeId)?>().FirstOrDefault();
        var epoch = leader is { } l ? checked((int)l.CreateRevision) : Leadership.Epoch;
        Publish(new MetadataLeadership(leader?.NodeId ?? MetadataLeadership.NoController, epoch), revision);
    }

    private static int ParseNodeId(ByteString value) =>
        int.TryParse(value.ToStringUtf8(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) ? id : MetadataLeadership.NoController;

    private async Task DispatchLeadershipAsync(CancellationToken stop)
    {
        await foreach (var leadership in _leadershipEvents.Reader.ReadAllAsync(stop).ConfigureAwait(false))
        {
            try
            {
                LeadershipChanged?.Invoke(leadership);
            }
#pragma warning disable CA1031 // A faulty handler must not stop the others from hearing of later changes.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "A LeadershipChanged handler failed");
            }
        }
    }

    /// <summary>What this node needs to append while it is controller. <see cref="NextOffset"/> is guarded by the write lock.</summary>
    private sealed class Writer(LeaderKey leader, int epoch)
    {
        public LeaderKey Leader { get; } = leader;

        public int Epoch { get; } = epoch;

        public long NextOffset { get; set; }

        public volatile bool OutcomeUnknown;
    }
}
