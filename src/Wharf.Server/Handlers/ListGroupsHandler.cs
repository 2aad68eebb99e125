using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ListGroups (API 16), v0–5: the groups this broker coordinates, filtered by state (v4+, case-insensitive) and type
/// (v5+; all groups here are "classic"). Thread-safety: stateless.
/// </summary>
public sealed class ListGroupsHandler(GroupCoordinator groups) : IRequestHandler<ListGroupsRequest, ListGroupsResponse>
{
    private const string ClassicType = "classic";

    public static ApiVersionRange Versions => new(0, 5);

    public ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListGroupsResponse { ErrorCode = (short)(groups.IsLoading ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.None) };
        var states = context.ApiVersion >= 4 ? request.StatesFilter : [];
        var types = context.ApiVersion >= 5 ? request.TypesFilter : [];
        if (types.Count > 0 && !types.Contains(ClassicType, StringComparer.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult<ListGroupsResponse?>(response);
        }

        foreach (var (groupId, protocolType, state) in groups.ListGroups().OrderBy(g => g.GroupId, StringComparer.Ordinal))
        {
            var stateName = state.ToString();
            if (states.Count == 0 || states.Contains(stateName, StringComparer.OrdinalIgnoreCase))
            {
                response.Groups.Add(new() { GroupId = groupId, ProtocolType = protocolType, GroupState = stateName, GroupType = ClassicType });
            }
        }

        return ValueTask.FromResult<ListGroupsResponse?>(response);
    }
}
