using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// CreateTopics (API 19), v0–4. Creates topics through the controller (name, partitions, replication factor or
/// explicit assignments, configs; -1 means the broker default) or only validates them (v1+; v0 always creates).
/// Thread-safety: stateless.
/// </summary>
public sealed class CreateTopicsHandler(Controller controller) : IRequestHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    public static ApiVersionRange Versions => new(0, 4);

    public async ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request, CancellationToken cancellationToken)
    {
        var topics = request.Topics.Select(t => new CreateTopicRequest(
            t.Name,
            t.NumPartitions,
            t.ReplicationFactor,
            [.. t.Configs.Select(c => new KeyValuePair<string, string?>(c.Name, c.Value))],
            t.Assignments.Count == 0 ? null : t.Assignments.ToDictionary(a => a.PartitionIndex, a => (IReadOnlyList<int>)a.BrokerIds))).ToList();
        var results = await controller.CreateTopicsAsync(topics, request.validateOnly, cancellationToken).ConfigureAwait(false);
        var response = new CreateTopicsResponse();
        foreach (var result in results)
        {
            response.Topics.Add(new()
            {
                Name = result.Name,
                TopicId = result.TopicId,
                ErrorCode = (short)result.Error,
                ErrorMessage = result.ErrorMessage,
                NumPartitions = result.NumPartitions,
                ReplicationFactor = result.ReplicationFactor,
            });
        }

        return response;
    }
}
