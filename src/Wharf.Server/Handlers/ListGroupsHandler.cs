using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ListGroups (API 16), v0–5: the groups this broker coordinates, filtered by state (v4+, case-insensitive) and type
/// (v5+: "classic" consumer groups, and "share" groups when <paramref name="listShareGroups"/>; a share group's
/// protocol type is "share"). Thread-safety: stateless.
/// </summary>
public sealed class ListGroupsHandler(GroupCoordinator groups, bool listShareGroups = false) : IRequestHandler<ListGroupsRequest, ListGroupsResponse>
{
    private const string ClassicType = "classic";
    private const string ShareType = "share";

    public static ApiVersionRange Versions => new(0, 5);

    public ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request, CancellationToken cancellationToken)
    {
        var response = new ListGroupsResponse { ErrorCode = (short)(groups.IsLoading ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.None) };
        var states = context.ApiVersion >= 4 ? request.StatesFilter : [];
        var types = context.ApiVersion >= 5 ? request.TypesFilter : [];
        var listed = new List<ListGroupsResponse.ListedGroup>();
        if (types.Count == 0 || types.Contains(ClassicType, StringComparer.OrdinalIgnoreCase))
        {
            listed.AddRange(groups.ListGroups().Select(g => new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.State.ToString(), GroupType = ClassicType }));
        }

        if (listShareGroups && (types.Count == 0 || types.Contains(ShareType, StringComparer.OrdinalIgnoreCase)))
        {
            listed.AddRange(groups.ListShareGroups().Select(g => new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = ShareType, GroupState = g.State, GroupType = ShareType }));
        }

        response.Groups.AddRange(listed.Where(g => states.Count == 0 || states.Contains(g.GroupState, StringComparer.OrdinalIgnoreCase)).OrderBy(g => g.GroupId, StringComparer.Ordinal));
        return ValueTask.FromResult<ListGroupsResponse?>(response);
    }
}
