using Wharf.Common;
using Wharf.Coordinator.Share;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ReadShareGroupState (API 84), v0, between brokers: the stored state of share-partitions whose
/// <c>__share_group_state</c> partition this broker serves (NOT_COORDINATOR otherwise; UNKNOWN_TOPIC_OR_PARTITION when
/// nothing is stored yet). Thread-safety: stateless.
/// </summary>
public sealed class ReadShareGroupStateHandler(ShareCoordinator coordinator) : IRequestHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public ValueTask<ReadShareGroupStateResponse?> HandleAsync(RequestContext context, ReadShareGroupStateRequest request, CancellationToken cancellationToken)
    {
        var response = new ReadShareGroupStateResponse();
        foreach (var topic in request.Topics)
        {
            var result = new ReadShareGroupStateResponse.ReadStateResult { TopicId = topic.TopicId };
            foreach (var partition in topic.Partitions)
            {
                var (error, state) = coordinator.Read(new ShareKey(request.GroupId, topic.TopicId, partition.Partition));
                var answer = new ReadShareGroupStateResponse.PartitionResult { Partition = partition.Partition, ErrorCode = (short)error, StateEpoch = -1, StartOffset = -1 };
                if (error == ErrorCode.None && state is null)
                {
                    answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                }
                else if (state is not null)
                {
                    answer.StateEpoch = state.StateEpoch;
                    answer.StartOffset = state.StartOffset;
                    answer.StateBatches = [.. state.Batches.Select(b => new ReadShareGroupStateResponse.StateBatch { FirstOffset = b.FirstOffset, LastOffset = b.LastOffset, DeliveryState = (sbyte)b.State, DeliveryCount = b.DeliveryCount })];
                }

                result.Partitions.Add(answer);
            }

            response.Results.Add(result);
        }

        return ValueTask.FromResult<ReadShareGroupStateResponse?>(response);
    }
}
