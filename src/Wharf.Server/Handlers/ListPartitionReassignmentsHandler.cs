using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ListPartitionReassignments (API 46), v0: the partition reassignments in progress (replicas, adding, removing), of
/// every partition or of the named ones, as the active controller's image holds them (KIP-455). Reaching a broker that
/// is not the controller it is forwarded there; answered here without an active controller it is NOT_CONTROLLER.
/// Thread-safety: stateless.
/// </summary>
public sealed class ListPartitionReassignmentsHandler(Controller controller) : IRequestHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public ValueTask<ListPartitionReassignmentsResponse?> HandleAsync(RequestContext context, ListPartitionReassignmentsRequest request, CancellationToken cancellationToken)
    {
        var named = request.Topics?.Select(t => KeyValuePair.Create(t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
        var result = controller.ListPartitionReassignments(named);
        var response = new ListPartitionReassignmentsResponse { ErrorCode = (short)result.Error, ErrorMessage = result.ErrorMessage };
        foreach (var topic in result.Reassignments.GroupBy(r => r.Topic, StringComparer.Ordinal))
        {
            response.Topics.Add(new()
            {
                Name = topic.Key,
                Partitions =
                [
                    .. topic.Select(r => new ListPartitionReassignmentsResponse.OngoingPartitionReassignment
                    {
                        PartitionIndex = r.Partition,
                        Replicas = [.. r.Replicas],
                        AddingReplicas = [.. r.AddingReplicas],
                        RemovingReplicas = [.. r.RemovingReplicas],
                    }),
                ],
            });
        }

        return ValueTask.FromResult<ListPartitionReassignmentsResponse?>(response);
    }
}
