using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// FindCoordinator (API 10), v0–4: the broker leading the group's <c>__consumer_offsets</c> partition — this one once
/// that partition is loaded (COORDINATOR_LOAD_IN_PROGRESS before, NOT_COORDINATOR if it is not led here). v4 batches
/// keys. Transaction coordinators (key type 1) are not served yet: COORDINATOR_NOT_AVAILABLE.
/// Thread-safety: stateless.
/// </summary>
public sealed class FindCoordinatorHandler(GroupCoordinator groups, Controller controller) : IRequestHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKeyType = 0;

    public static ApiVersionRange Versions => new(0, 4);

    public ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request, CancellationToken cancellationToken)
    {
        var response = new FindCoordinatorResponse();
        if (context.ApiVersion >= 4)
        {
            foreach (var key in request.CoordinatorKeys)
            {
                var (error, message, node, host, port) = Find(key, request.KeyType);
                response.Coordinators.Add(new() { Key = key, ErrorCode = (short)error, ErrorMessage = message, NodeId = node, Host = host, Port = port });
            }
        }
        else
        {
            var (error, message, node, host, port) = Find(request.Key, request.KeyType);
            response.ErrorCode = (short)error;
            response.ErrorMessage = message;
            response.NodeId = node;
            response.Host = host;
            response.Port = port;
        }

        return ValueTask.FromResult<FindCoordinatorResponse?>(response);
    }

    private (ErrorCode Error, string? Message, int NodeId, string Host, int Port) Find(string key, sbyte keyType)
    {
        if (keyType != GroupKeyType)
        {
            return keyType == 1
                ? (ErrorCode.CoordinatorNotAvailable, "Transactions are not supported yet.", -1, "", -1)
                : (ErrorCode.InvalidRequest, $"Unknown key type {keyType}.", -1, "", -1);
        }

        var status = groups.CoordinatorStatus(key);
        var image = controller.Current;
        if (status != ErrorCode.None || !image.Brokers.TryGetValue(image.NodeId, out var self))
        {
            var error = status == ErrorCode.None ? ErrorCode.CoordinatorNotAvailable : status;
            return (error, null, -1, "", -1);
        }

        var endpoint = self.Endpoints[0];
        return (ErrorCode.None, null, self.NodeId, endpoint.Host, endpoint.Port);
    }
}
