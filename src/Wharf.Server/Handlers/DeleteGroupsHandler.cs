using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// DeleteGroups (API 42), v0–2: deletes empty groups with their offsets (NON_EMPTY_GROUP for a group with members,
/// GROUP_ID_NOT_FOUND for an unknown one) — a share group with its share-partition state. Thread-safety: stateless.
/// </summary>
public sealed class DeleteGroupsHandler(GroupCoordinator groups, Share.ShareGroupAdmin? shares = null) : IRequestHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public static ApiVersionRange Versions => new(0, 2);

    public async ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(request.GroupsNames.Select(DeleteAsync)).WaitAsync(cancellationToken).ConfigureAwait(false);
        var response = new DeleteGroupsResponse();
        for (var i = 0; i < results.Length; i++)
        {
            response.Results.Add(new() { GroupId = request.GroupsNames[i], ErrorCode = (short)results[i] });
        }

        return response;

        async Task<Common.ErrorCode> DeleteAsync(string groupId)
        {
            var error = await groups.DeleteGroupAsync(groupId).ConfigureAwait(false);
            return error == Common.ErrorCode.GroupIdNotFound && shares is not null ? await shares.DeleteGroupAsync(groupId, cancellationToken).ConfigureAwait(false) : error;
        }
    }
}
