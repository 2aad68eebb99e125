using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeGroups (API 15), v0–5: state, protocol and members of each group; member metadata and assignments only
/// when Stable (as Kafka). An unknown group is reported in state Dead without error. Thread-safety: stateless.
/// </summary>
public sealed class DescribeGroupsHandler(GroupCoordinator groups) : IRequestHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    public static ApiVersionRange Versions => new(0, 5);

    public ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeGroupsResponse();
        foreach (var groupId in request.Groups)
        {
            response.Groups.Add(groups.DescribeGroup(groupId));
        }

        return ValueTask.FromResult<DescribeGroupsResponse?>(response);
    }
}
