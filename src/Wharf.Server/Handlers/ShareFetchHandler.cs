using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Share;

namespace Wharf.Server.Handlers;

/// <summary>
/// ShareFetch (API 78), v1 (KIP-932): within the member's share session, first applies the acknowledgements the request
/// carries, then acquires records of the session's partitions led here (redeliveries first, then new records, at most
/// <c>MaxRecords</c> in all) and answers them with their acquired ranges and delivery counts. With nothing to acquire it
/// long-polls until a partition gets new records or has released ones, or <c>MaxWaitMs</c> passes. Epoch -1 only
/// acknowledges and closes the session, releasing what the member still holds here.
/// Errors: INVALID_REQUEST for a missing group or member id; the session's SHARE_SESSION_NOT_FOUND,
/// INVALID_SHARE_SESSION_EPOCH or SHARE_SESSION_LIMIT_REACHED at the top level; per partition UNKNOWN_TOPIC_ID,
/// NOT_LEADER_OR_FOLLOWER (with the current leader and its endpoint) and acknowledgement errors.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class ShareFetchHandler(SharePartitionManager shares, ShareSessionCache sessions, ReplicaManager replicas, Controller controller) : IRequestHandler<ShareFetchRequest, ShareFetchResponse>
{
    public static ApiVersionRange Versions => new(1, 1);

    public async ValueTask<ShareFetchResponse?> HandleAsync(RequestContext context, ShareFetchRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.GroupId) || string.IsNullOrEmpty(request.MemberId))
        {
            return Error(ErrorCode.InvalidRequest, "ShareFetch needs a group id and a member id.");
        }

        var image = controller.Current;
        var (sessionError, session) = await ShareRequests.AcceptAsync(sessions, shares, image, request.GroupId, request.MemberId, request.ShareSessionEpoch, cancellationToken).ConfigureAwait(false);

        if (session is null)
        {
            return Error(sessionError, $"Share session of member {request.MemberId} at epoch {request.ShareSessionEpoch}: {sessionError}.");
        }

        var settings = shares.SettingsOf(request.GroupId);
        var response = new ShareFetchResponse { AcquisitionLockTimeoutMs = settings.RecordLockDurationMs };
        var acknowledgements = ShareRequests.Merge(request.Topics.SelectMany(t => t.Partitions.Select(p => (
            t.TopicId,
            p.PartitionIndex,
            p.AcknowledgementBatches.Select(b => new AcknowledgementBatch(b.FirstOffset, b.LastOffset, b.AcknowledgeTypes))))));
        if (request.ShareSessionEpoch != -1)
        {
            UpdateSession(session, request, acknowledgements);
        }

        var acknowledged = await ShareRequests.AcknowledgeAsync(shares, image, request.GroupId, request.MemberId, acknowledgements, cancellationToken).ConfigureAwait(false);
        var answers = new Dictionary<(Guid TopicId, int Partition), ShareFetchResponse.PartitionData>();
        foreach (var (key, error) in acknowledged)
        {
            Answer(answers, key).AcknowledgeErrorCode = (short)error;
        }

        if (request.ShareSessionEpoch == -1)
        {
            await ShareRequests.ReleaseAsync(shares, image, session, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await AcquireAsync(context, request, session, answers, cancellationToken).ConfigureAwait(false);
        }

        var hints = new LeaderHints(replicas.Image, context.Connection.ListenerName);
        foreach (var ((topicId, index), data) in answers)
        {
            if (data.ErrorCode == (short)ErrorCode.NotLeaderOrFollower && ShareRequests.CurrentLeader(hints, image, topicId, index) is { } leader)
            {
                data.CurrentLeader = new() { LeaderId = leader.LeaderId, LeaderEpoch = leader.LeaderEpoch };
            }
        }

        foreach (var group in answers.GroupBy(a => a.Key.TopicId))
        {
            response.Responses.Add(new() { TopicId = group.Key, Partitions = [.. group.Select(a => a.Value)] });
        }

        response.NodeEndpoints = [.. hints.Endpoints().Select(e => new ShareFetchResponse.NodeEndpoint { NodeId = e.NodeId, Host = e.Host, Port = e.Port, Rack = e.Rack })];
        return response;
    }

    /// <summary>Acquires across the session's partitions, long-polling while nothing is there and time is left.</summary>
    private async Task AcquireAsync(RequestContext context, ShareFetchRequest request, ShareSession session, Dictionary<(Guid, int), ShareFetchResponse.PartitionData> answers, CancellationToken cancellationToken)
    {
        var time = replicas.Time;
        var deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(Math.Max(0, request.MaxWaitMs));
        var maxRecords = request.MaxRecords > 0 ? request.MaxRecords : 500;
        while (true)
        {
            var image = controller.Current;
            var resolved = session.Partitions.Select(p => (p.TopicId, p.Partition, Resolved: ShareRequests.Resolve(image, p.TopicId, p.Partition))).ToList();
            var partitions = resolved.Where(r => r.Resolved.Error == ErrorCode.None).Select(r => r.Resolved.Partition).ToList();
            var signals = new List<Task>();
            signals.AddRange(replicas.AppendSignals(partitions));
            signals.AddRange(shares.AvailabilitySignals(request.GroupId!, partitions));
            var acquired = 0;
            var failed = false;
            var budget = request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes;
            foreach (var (topicId, index, (error, partition)) in resolved)
            {
                if (acquired >= maxRecords)
                {
                    break;
                }

                if (error != ErrorCode.None)
                {
                    Answer(answers, (topicId, index)).ErrorCode = (short)error;
                    failed = true;
                    continue;
                }

                var result = await shares.AcquireAsync(request.GroupId!, request.MemberId!, partition, topicId, maxRecords - acquired, budget, cancellationToken).ConfigureAwait(false);
                if (result.Error != ErrorCode.None)
                {
                    Answer(answers, (topicId, index)).ErrorCode = (short)result.Error;
                    failed = true;
                    continue;
                }

                if (result.Acquired.Count == 0)
                {
                    continue;
                }

                var data = Answer(answers, (topicId, index));
                data.Records = new System.Buffers.ReadOnlySequence<byte>(result.Records!);
                data.AcquiredRecords = [.. result.Acquired.Select(r => new ShareFetchResponse.AcquiredRange { FirstOffset = r.FirstOffset, LastOffset = r.LastOffset, DeliveryCount = r.DeliveryCount })];
                data.CurrentLeader = new() { LeaderId = image.NodeId, LeaderEpoch = result.LeaderEpoch };
                acquired += result.Acquired.Sum(r => (int)(r.LastOffset - r.FirstOffset + 1));
                budget = Math.Max(1, budget - result.Records!.Length);
            }

            var remaining = deadline - time.GetUtcNow();
            if (acquired > 0 || failed || remaining <= TimeSpan.Zero || signals.Count == 0)
            {
                return;
            }

            await replicas.WaitForAnyAsync(signals, remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Epoch 0 starts the partition list afresh; later requests add theirs and drop the forgotten ones.</summary>
    private static void UpdateSession(ShareSession session, ShareFetchRequest request, List<(Guid TopicId, int Partition, List<AcknowledgementBatch> Batches)> requested)
    {
        if (request.ShareSessionEpoch == 0)
        {
            session.Partitions.Clear();
        }

        foreach (var (topicId, partition, _) in requested)
        {
            if (!session.Partitions.Contains((topicId, partition)))
            {
                session.Partitions.Add((topicId, partition));
            }
        }

        foreach (var forgotten in request.ForgottenTopicsData)
        {
            foreach (var partition in forgotten.Partitions)
            {
                session.Partitions.Remove((forgotten.TopicId, partition));
            }
        }
    }

    private static ShareFetchResponse.PartitionData Answer(Dictionary<(Guid, int), ShareFetchResponse.PartitionData> answers, (Guid TopicId, int Partition) key)
    {
        if (!answers.TryGetValue(key, out var data))
        {
            // Never null from v1 on: librdkafka reads a null record set as a protocol error and drops the response.
            data = new ShareFetchResponse.PartitionData { PartitionIndex = key.Partition, Records = System.Buffers.ReadOnlySequence<byte>.Empty };
            answers[key] = data;
        }

        return data;
    }

    private static ShareFetchResponse Error(ErrorCode error, string message) => new() { ErrorCode = (short)error, ErrorMessage = message };
}
