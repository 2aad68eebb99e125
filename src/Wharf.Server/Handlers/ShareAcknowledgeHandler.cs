using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Share;

namespace Wharf.Server.Handlers;

/// <summary>
/// ShareAcknowledge (API 79), v1 (KIP-932): applies a member's Accept / Release / Reject / Gap acknowledgements within
/// its share session and answers once they are durable; epoch -1 also closes the session, releasing what the member
/// still holds here. Top-level errors are the session's; per partition INVALID_RECORD_STATE (offsets the member does
/// not hold), UNKNOWN_TOPIC_ID, NOT_LEADER_OR_FOLLOWER (with the current leader).
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class ShareAcknowledgeHandler(SharePartitionManager shares, ShareSessionCache sessions, ReplicaManager replicas, Controller controller) : IRequestHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponse>
{
    public static ApiVersionRange Versions => new(1, 1);

    public async ValueTask<ShareAcknowledgeResponse?> HandleAsync(RequestContext context, ShareAcknowledgeRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.GroupId) || string.IsNullOrEmpty(request.MemberId))
        {
            return new ShareAcknowledgeResponse { ErrorCode = (short)ErrorCode.InvalidRequest, ErrorMessage = "ShareAcknowledge needs a group id and a member id." };
        }

        if (request.ShareSessionEpoch == 0)
        {
            return new ShareAcknowledgeResponse { ErrorCode = (short)ErrorCode.InvalidShareSessionEpoch, ErrorMessage = "ShareAcknowledge cannot open a share session (epoch 0)." };
        }

        var image = controller.Current;
        var (sessionError, session) = await ShareRequests.AcceptAsync(sessions, shares, image, request.GroupId, request.MemberId, request.ShareSessionEpoch, cancellationToken).ConfigureAwait(false);

        if (session is null)
        {
            return new ShareAcknowledgeResponse { ErrorCode = (short)sessionError, ErrorMessage = $"Share session of member {request.MemberId} at epoch {request.ShareSessionEpoch}: {sessionError}." };
        }

        var acknowledgements = ShareRequests.Merge(request.Topics.SelectMany(t => t.Partitions.Select(p => (
            t.TopicId,
            p.PartitionIndex,
            p.AcknowledgementBatches.Select(b => new AcknowledgementBatch(b.FirstOffset, b.LastOffset, b.AcknowledgeTypes))))));
        var results = await ShareRequests.AcknowledgeAsync(shares, image, request.GroupId, request.MemberId, acknowledgements, cancellationToken).ConfigureAwait(false);
        if (request.ShareSessionEpoch == -1)
        {
            await ShareRequests.ReleaseAsync(shares, image, session, cancellationToken).ConfigureAwait(false);
        }

        var hints = new LeaderHints(replicas.Image, context.Connection.ListenerName);
        var response = new ShareAcknowledgeResponse();
        foreach (var topic in results.GroupBy(r => r.Key.TopicId))
        {
            var answer = new ShareAcknowledgeResponse.ShareAcknowledgeTopicResponse { TopicId = topic.Key };
            foreach (var ((topicId, index), error) in topic)
            {
                var data = new ShareAcknowledgeResponse.PartitionData { PartitionIndex = index, ErrorCode = (short)error };
                if (error == ErrorCode.NotLeaderOrFollower && ShareRequests.CurrentLeader(hints, image, topicId, index) is { } leader)
                {
                    data.CurrentLeader = new() { LeaderId = leader.LeaderId, LeaderEpoch = leader.LeaderEpoch };
                }

                answer.Partitions.Add(data);
            }

            response.Responses.Add(answer);
        }

        response.NodeEndpoints = [.. hints.Endpoints().Select(e => new ShareAcknowledgeResponse.NodeEndpoint { NodeId = e.NodeId, Host = e.Host, Port = e.Port, Rack = e.Rack })];
        return response;
    }
}
