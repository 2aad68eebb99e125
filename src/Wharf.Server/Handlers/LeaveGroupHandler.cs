using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// LeaveGroup (API 13), v0–3: members leave and the group rebalances. v0–2 name one member and carry its error at the
/// top; v3+ list members (by member id, or by group.instance.id for static members) with an error each.
/// Thread-safety: stateless.
/// </summary>
public sealed class LeaveGroupHandler(GroupCoordinator groups) : IRequestHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request, CancellationToken cancellationToken)
    {
        var legacy = context.ApiVersion < 3;
        List<(string MemberId, string? InstanceId)> leaving = legacy
            ? [(request.MemberId, null)]
            : [.. request.Members.Select(m => (m.MemberId, m.GroupInstanceId))];
        var (error, members) = groups.LeaveGroup(request.GroupId, leaving);
        var response = new LeaveGroupResponse { ErrorCode = (short)error };
        if (legacy)
        {
            if (error == ErrorCode.None && members.Count == 1)
            {
                response.ErrorCode = (short)members[0].Error;
            }
        }
        else
        {
            foreach (var (memberId, instanceId, memberError) in members)
            {
                response.Members.Add(new() { MemberId = memberId, GroupInstanceId = instanceId, ErrorCode = (short)memberError });
            }
        }

        return ValueTask.FromResult<LeaveGroupResponse?>(response);
    }
}
