using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ShareGroupDescribe (API 77), v1: each share group's state, epochs, members, subscriptions and assignments (topic
/// names from the metadata). A group coordinated elsewhere answers NOT_COORDINATOR; an unknown one GROUP_ID_NOT_FOUND.
/// Thread-safety: stateless.
/// </summary>
public sealed class ShareGroupDescribeHandler(GroupCoordinator groups, Controller controller) : IRequestHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse>
{
    public static ApiVersionRange Versions => new(1, 1);

    public ValueTask<ShareGroupDescribeResponse?> HandleAsync(RequestContext context, ShareGroupDescribeRequest request, CancellationToken cancellationToken)
    {
        var image = controller.Current;
        var response = new ShareGroupDescribeResponse();
        foreach (var groupId in request.GroupIds)
        {
            response.Groups.Add(groups.DescribeShareGroup(groupId, id => image.TryGetTopic(id, out var topic) ? topic.Name : null));
        }

        return ValueTask.FromResult<ShareGroupDescribeResponse?>(response);
    }
}
