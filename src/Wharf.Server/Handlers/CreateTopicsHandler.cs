using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// CreateTopics (API 19), v2–4. Creates each topic through the catalog (name, partition count, replication
/// factor, configs; -1 means the broker default), or only validates it. Thread-safety: stateless.
/// </summary>
public sealed class CreateTopicsHandler(ITopicCatalog catalog, BrokerOptions options) : IRequestHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    public static ApiVersionRange Versions => new(2, 4);

    public async ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new CreateTopicsResponse();
        foreach (var topic in request.Topics)
        {
            var partitions = topic.NumPartitions == -1 ? (topic.Assignments.Count > 0 ? topic.Assignments.Count : options.DefaultPartitions) : topic.NumPartitions;
            var replicationFactor = topic.ReplicationFactor == -1 ? (short)1 : topic.ReplicationFactor;
            var configs = topic.Configs.ToDictionary(c => c.Name, c => c.Value);
            var result = await catalog.CreateTopicAsync(topic.Name, partitions, replicationFactor, configs, request.validateOnly, cancellationToken).ConfigureAwait(false);
            response.Topics.Add(new()
            {
                Name = topic.Name,
                ErrorCode = (short)result.Error,
                ErrorMessage = result.Message,
                TopicId = catalog.Topics.TryGetValue(topic.Name, out var created) ? created.TopicId : Guid.Empty,
                NumPartitions = partitions,
                ReplicationFactor = replicationFactor,
            });
        }

        return response;
    }
}
