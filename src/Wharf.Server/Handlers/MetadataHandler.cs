using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// Metadata (API 3), v0–12. Brokers (this one), cluster id, controller (this one) and topics with their
/// partitions, leaders, epochs and replicas. An unknown topic is created when both the request (v4+) and
/// <c>auto.create.topics.enable</c> allow it, and returned at once. v0 with an empty list and v1+ with null mean
/// all topics. Thread-safety: stateless.
/// </summary>
public sealed class MetadataHandler(ITopicCatalog catalog, ReplicaManager replicas, BrokerEndpoint self, BrokerOptions options) : IRequestHandler<MetadataRequest, MetadataResponse>
{
    public static ApiVersionRange Versions => new(0, 12);

    public async ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request, CancellationToken cancellationToken)
    {
        var version = context.ApiVersion;
        var response = new MetadataResponse
        {
            Brokers = [new() { NodeId = self.NodeId, Host = self.Host, Port = self.Port }],
            ClusterId = catalog.ClusterId,
            ControllerId = self.NodeId,
        };

        var all = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (all)
        {
            foreach (var topic in catalog.Topics.Values.OrderBy(t => t.Name))
            {
                response.Topics.Add(Describe(topic));
            }

            return response;
        }

        var autoCreate = options.AutoCreateTopics && (version < 4 || request.AllowAutoTopicCreation);
        foreach (var requested in request.Topics!)
        {
            var name = requested.Name ?? catalog.Topics.Values.FirstOrDefault(t => t.TopicId == requested.TopicId)?.Name;
            if (name is null)
            {
                response.Topics.Add(new() { ErrorCode = (short)ErrorCode.UnknownTopicId, TopicId = requested.TopicId, Name = null });
                continue;
            }

            if (!catalog.Topics.ContainsKey(name) && autoCreate && TopicNames.Validate(name) is null)
            {
                await catalog.CreateTopicAsync(name, options.DefaultPartitions, 1, new Dictionary<string, string?>(), validateOnly: false, cancellationToken).ConfigureAwait(false);
            }

            if (catalog.Topics.TryGetValue(name, out var topic))
            {
                response.Topics.Add(Describe(topic));
                continue;
            }

            var error = TopicNames.Validate(name) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException;
            response.Topics.Add(new() { ErrorCode = (short)error, Name = name });
        }

        return response;
    }

    private MetadataResponse.MetadataResponseTopic Describe(TopicInfo topic)
    {
        var described = new MetadataResponse.MetadataResponseTopic { Name = topic.Name, TopicId = topic.TopicId, IsInternal = topic.Name.StartsWith("__", StringComparison.Ordinal) };
        for (var i = 0; i < topic.PartitionCount; i++)
        {
            var partition = replicas.GetPartition(new TopicPartition(topic.Name, i));
            described.Partitions.Add(new()
            {
                ErrorCode = (short)(partition is null ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
                PartitionIndex = i,
                LeaderId = partition is null ? -1 : self.NodeId,
                LeaderEpoch = partition?.LeaderEpoch ?? -1,
                ReplicaNodes = [self.NodeId],
                IsrNodes = [self.NodeId],
            });
        }

        return described;
    }
}
