using System.Text;
using Wharf.Common;

namespace Wharf.Server.Http.Api;

/// <summary>
/// A request the admin API cannot answer with data: the HTTP status and the body <c>{"error": Message, "code": Code}</c>.
/// <see cref="Code"/> is Kafka's error name in upper snake case (<c>UNKNOWN_TOPIC_OR_PARTITION</c>) when a broker refused,
/// else one of the API's own (<c>BAD_REQUEST</c>, <c>NOT_FOUND</c>, <c>BROKER_NOT_AVAILABLE</c>...). Immutable.
/// </summary>
public sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public static ApiException BadRequest(string message) => new(400, "BAD_REQUEST", message);

    public static ApiException NotFound(string code, string message) => new(404, code, message);

    /// <summary>The answer for a Kafka error a broker returned: 404 unknown, 409 conflict, 400 invalid, 503 retriable, else 502.</summary>
    public static ApiException FromKafka(ErrorCode error, string? message, string what)
    {
        var status = error switch
        {
            ErrorCode.UnknownTopicOrPartition or ErrorCode.UnknownTopicId or ErrorCode.GroupIdNotFound or ErrorCode.ResourceNotFound => 404,
            ErrorCode.TopicAlreadyExists or ErrorCode.NonEmptyGroup or ErrorCode.ReassignmentInProgress => 409,
            ErrorCode.InvalidTopicException or ErrorCode.InvalidPartitions or ErrorCode.InvalidReplicationFactor
                or ErrorCode.InvalidReplicaAssignment or ErrorCode.InvalidConfig or ErrorCode.InvalidRequest
                or ErrorCode.PolicyViolation or ErrorCode.InvalidGroupId or ErrorCode.MessageTooLarge
                or ErrorCode.RecordListTooLarge or ErrorCode.InvalidRecord or ErrorCode.InvalidTimestamp
                or ErrorCode.OffsetOutOfRange or ErrorCode.TopicDeletionDisabled => 400,
            ErrorCode.LeaderNotAvailable or ErrorCode.NotLeaderOrFollower or ErrorCode.RequestTimedOut
                or ErrorCode.BrokerNotAvailable or ErrorCode.ReplicaNotAvailable or ErrorCode.NetworkException
                or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator
                or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.NotController
                or ErrorCode.KafkaStorageError or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch => 503,
            _ => 502,
        };
        return new ApiException(status, CodeName(error), $"{what}: {message ?? CodeName(error)}");
    }

    /// <summary>Kafka's name for <paramref name="error"/>: <c>UnknownTopicOrPartition</c> becomes <c>UNKNOWN_TOPIC_OR_PARTITION</c>.</summary>
    public static string CodeName(ErrorCode error)
    {
        var name = error.ToString();
        var snake = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                snake.Append('_');
            }

            snake.Append(char.ToUpperInvariant(name[i]));
        }

        return snake.ToString();
    }
}
