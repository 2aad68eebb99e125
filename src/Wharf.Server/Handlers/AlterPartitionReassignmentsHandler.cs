using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// AlterPartitionReassignments (API 45), v0: starts, replaces or cancels (null replicas) partition reassignments
/// through the controller (KIP-455), one result per partition in request order. Reaching a broker that is not the
/// controller it is forwarded there; answered here without an active controller it is a top-level NOT_CONTROLLER
/// with every partition NOT_CONTROLLER. The request's timeout is not waited on: the answer comes once the change is
/// committed, not once the new replicas have caught up (Kafka's behaviour).
/// Thread-safety: stateless.
/// </summary>
public sealed class AlterPartitionReassignmentsHandler(Controller controller) : IRequestHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<AlterPartitionReassignmentsResponse?> HandleAsync(RequestContext context, AlterPartitionReassignmentsRequest request, CancellationToken cancellationToken)
    {
        var requests = request.Topics
            .SelectMany(t => t.Partitions.Select(p => new ReassignmentRequest(t.Name, p.PartitionIndex, p.Replicas)))
            .ToList();
        var results = await controller.AlterPartitionReassignmentsAsync(requests, cancellationToken).ConfigureAwait(false);

        var response = new AlterPartitionReassignmentsResponse();
        if (results.Count > 0 && results.All(r => r.Error == ErrorCode.NotController))
        {
            response.ErrorCode = (short)ErrorCode.NotController;
            response.ErrorMessage = results[0].ErrorMessage;
        }

        var index = 0;
        foreach (var topic in request.Topics)
        {
            var answered = new AlterPartitionReassignmentsResponse.ReassignableTopicResponse { Name = topic.Name };
            foreach (var result in results.Skip(index).Take(topic.Partitions.Count))
            {
                answered.Partitions.Add(new() { PartitionIndex = result.Partition, ErrorCode = (short)result.Error, ErrorMessage = result.ErrorMessage });
            }

            index += topic.Partitions.Count;
            response.Responses.Add(answered);
        }

        return response;
    }
}
