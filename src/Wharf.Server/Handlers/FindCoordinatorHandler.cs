using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// FindCoordinator (API 10), v0–4: the broker leading the group's <c>__consumer_offsets</c> partition — this one once
/// that partition is loaded (COORDINATOR_LOAD_IN_PROGRESS before, NOT_COORDINATOR if it is not led here). v4 batches
/// keys. Transaction coordinators (key type 1): this broker once the id's <c>__transaction_state</c> partition is
/// loaded (COORDINATOR_NOT_AVAILABLE when the broker has no transaction coordinator).
/// Thread-safety: stateless.
/// </summary>
public sealed class FindCoordinatorHandler(GroupCoordinator groups, Controller controller, TransactionCoordinator? transactions = null) : IRequestHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;

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
        if (keyType != GroupKeyType && keyType != TransactionKeyType)
        {
            return (ErrorCode.InvalidRequest, $"Unknown key type {keyType}.", -1, "", -1);
        }

        if (keyType == TransactionKeyType && transactions is null)
        {
            return (ErrorCode.CoordinatorNotAvailable, "This broker has no transaction coordinator.", -1, "", -1);
        }

        var status = keyType == TransactionKeyType ? transactions!.CoordinatorStatus(key) : groups.CoordinatorStatus(key);
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
