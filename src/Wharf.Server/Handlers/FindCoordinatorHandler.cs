using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Handlers;

/// <summary>
/// FindCoordinator (API 10), v0–4: the coordinator of a group (key type 0) or transactional id (key type 1) is the
/// leader of the key's <c>__consumer_offsets</c> / <c>__transaction_state</c> partition. When that is this broker it
/// answers once the partition is loaded (COORDINATOR_LOAD_IN_PROGRESS before); when it is another live broker, that
/// broker; with no leader, COORDINATOR_NOT_AVAILABLE (clients retry). The internal topic is created on first use
/// (through the controller, <see cref="TopicCreator"/>), as Kafka does. v4 batches keys.
/// Thread-safety: stateless.
/// </summary>
public sealed class FindCoordinatorHandler(GroupCoordinator groups, Controller controller, TopicCreator topics, TransactionCoordinator? transactions = null)
    : IRequestHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;

    public static ApiVersionRange Versions => new(0, 4);

    public async ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request, CancellationToken cancellationToken)
    {
        var response = new FindCoordinatorResponse();
        if (context.ApiVersion >= 4)
        {
            foreach (var key in request.CoordinatorKeys)
            {
                var (error, message, node, host, port) = await FindAsync(key, request.KeyType, cancellationToken).ConfigureAwait(false);
                response.Coordinators.Add(new() { Key = key, ErrorCode = (short)error, ErrorMessage = message, NodeId = node, Host = host, Port = port });
            }
        }
        else
        {
            var (error, message, node, host, port) = await FindAsync(request.Key, request.KeyType, cancellationToken).ConfigureAwait(false);
            response.ErrorCode = (short)error;
            response.ErrorMessage = message;
            response.NodeId = node;
            response.Host = host;
            response.Port = port;
        }

        return response;
    }

    private async Task<(ErrorCode Error, string? Message, int NodeId, string Host, int Port)> FindAsync(string key, sbyte keyType, CancellationToken cancellationToken)
    {
        if (keyType != GroupKeyType && keyType != TransactionKeyType)
        {
            return (ErrorCode.InvalidRequest, $"Unknown key type {keyType}.", -1, "", -1);
        }

        if (keyType == TransactionKeyType && transactions is null)
        {
            return (ErrorCode.CoordinatorNotAvailable, "This broker has no transaction coordinator.", -1, "", -1);
        }

        var (topic, partitions, request) = keyType == TransactionKeyType
            ? (TransactionCoordinator.StateTopic, transactions!.PartitionCount, TransactionCoordinatorSetup.StateTopicRequest(controller.Config, controller.Current))
            : (GroupCoordinator.OffsetsTopic, groups.PartitionCount, GroupCoordinatorSetup.OffsetsTopicRequest(controller.Config, controller.Current));
        if (keyType == GroupKeyType && groups.CoordinatorStatus(key) is ErrorCode.InvalidGroupId)
        {
            return (ErrorCode.InvalidGroupId, null, -1, "", -1);
        }

        if (!controller.Current.TryGetTopic(topic, out _))
        {
            var (created, message) = await topics.EnsureAsync(request, cancellationToken).ConfigureAwait(false);
            if (created != ErrorCode.None)
            {
                return (ErrorCode.CoordinatorNotAvailable, $"{topic} is being created: {message}", -1, "", -1);
            }
        }

        var image = controller.Current;
        if (!image.TryGetPartition(new TopicPartition(topic, GroupCoordinator.PartitionFor(key, partitions)), out var partition)
            || partition.Leader < 0 || !image.IsLive(partition.Leader))
        {
            return (ErrorCode.CoordinatorNotAvailable, $"The {topic} partition of this key has no leader.", -1, "", -1);
        }

        if (partition.Leader == image.NodeId)
        {
            var status = keyType == TransactionKeyType ? transactions!.CoordinatorStatus(key) : groups.CoordinatorStatus(key);
            if (status != ErrorCode.None)
            {
                return (status, null, -1, "", -1);
            }
        }

        var broker = image.Brokers[partition.Leader];
        var endpoint = broker.Endpoints[0];
        return (ErrorCode.None, null, broker.NodeId, endpoint.Host, endpoint.Port);
    }
}
