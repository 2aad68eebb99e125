using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Handlers;

/// <summary>
/// Metadata (API 3), v0–12. Brokers, cluster id, controller and topics with their partitions, leaders, epochs
/// and replicas, from the current metadata image. An unknown topic is created when both the request (v4+) and
/// <c>auto.create.topics.enable</c> allow it, and returned at once. v0 with an empty list and v1+ with null mean
/// all topics; v10+ may name topics by id. Thread-safety: stateless.
/// </summary>
public sealed class MetadataHandler(Controller controller, ReplicaManager replicas, TopicCreator topics) : IRequestHandler<MetadataRequest, MetadataResponse>
{
    public static ApiVersionRange Versions => new(0, 12);

    public async ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request, CancellationToken cancellationToken)
    {
        var version = context.ApiVersion;
        var all = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (!all && controller.Config.AutoCreateTopicsEnable && (version < 4 || request.AllowAutoTopicCreation))
        {
            foreach (var requested in request.Topics!)
            {
                if (requested.Name is { } name && !controller.Current.TryGetTopic(name, out _) && TopicNames.Validate(name) is null)
                {
                    await topics.AutoCreateAsync(name, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var image = controller.Current;
        var response = new MetadataResponse { ClusterId = image.ClusterId, ControllerId = controller.Leadership.ControllerId };
        foreach (var broker in image.LiveBrokers)
        {
            var endpoint = broker.Endpoints[0];
            response.Brokers.Add(new() { NodeId = broker.NodeId, Host = endpoint.Host, Port = endpoint.Port, Rack = broker.Rack });
        }

        if (all)
        {
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name))
            {
                response.Topics.Add(Describe(image, topic));
            }

            return response;
        }

        foreach (var requested in request.Topics!)
        {
            if (requested.Name is null)
            {
                response.Topics.Add(image.TryGetTopic(requested.TopicId, out var byId)
                    ? Describe(image, byId)
                    : new() { ErrorCode = (short)ErrorCode.UnknownTopicId, TopicId = requested.TopicId, Name = null });
                continue;
            }

            if (image.TryGetTopic(requested.Name, out var topic))
            {
                response.Topics.Add(Describe(image, topic));
                continue;
            }

            var error = TopicNames.Validate(requested.Name) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException;
            response.Topics.Add(new() { ErrorCode = (short)error, Name = requested.Name });
        }

        return response;
    }

    private MetadataResponse.MetadataResponseTopic Describe(MetadataImage image, TopicImage topic)
    {
        var described = new MetadataResponse.MetadataResponseTopic { Name = topic.Name, TopicId = topic.TopicId, IsInternal = topic.IsInternal };
        foreach (var partition in topic.Partitions.Values)
        {
            described.Partitions.Add(new()
            {
                ErrorCode = (short)PartitionState.ErrorOf(image, topic.Name, partition, replicas),
                PartitionIndex = partition.Partition,
                LeaderId = partition.Leader,
                LeaderEpoch = partition.LeaderEpoch,
                ReplicaNodes = [.. partition.Replicas],
                IsrNodes = [.. partition.Isr],
                OfflineReplicas = PartitionState.OfflineReplicas(image, partition),
            });
        }

        return described;
    }
}
