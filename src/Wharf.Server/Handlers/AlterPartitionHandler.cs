using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// AlterPartition (API 56), v2–3: a partition leader asks the active controller to change the partition's ISR
/// (KIP-497; v3's broker epochs are not checked: Wharf does not track broker epochs). Each partition is answered as
/// <see cref="Controller.AlterPartitionAsync"/> decides, with the partition's committed state. A node that is not the
/// active controller answers a top-level NOT_CONTROLLER (the leader's <see cref="AlterPartitionSender"/> sends it to
/// the controller). Thread-safety: stateless.
/// </summary>
public sealed class AlterPartitionHandler(Controller controller) : IRequestHandler<AlterPartitionRequest, AlterPartitionResponse>
{
    public static ApiVersionRange Versions => new(2, 3);

    public async ValueTask<AlterPartitionResponse?> HandleAsync(RequestContext context, AlterPartitionRequest request, CancellationToken cancellationToken)
    {
        if (!controller.IsActive)
        {
            return new AlterPartitionResponse { ErrorCode = (short)ErrorCode.NotController };
        }

        var proposals = request.Topics
            .SelectMany(t => t.Partitions.Select(p => new IsrProposal(
                t.TopicId,
                p.PartitionIndex,
                p.LeaderEpoch,
                p.PartitionEpoch,
                context.ApiVersion >= 3 ? [.. p.NewIsrWithEpochs.Select(b => b.BrokerId)] : [.. p.NewIsr])))
            .ToList();
        var results = await controller.AlterPartitionAsync(request.BrokerId, proposals, cancellationToken).ConfigureAwait(false);

        var response = new AlterPartitionResponse();
        var index = 0;
        foreach (var topic in request.Topics)
        {
            var answered = new AlterPartitionResponse.TopicData { TopicId = topic.TopicId };
            foreach (var result in results.Skip(index).Take(topic.Partitions.Count))
            {
                answered.Partitions.Add(new()
                {
                    PartitionIndex = result.Partition,
                    ErrorCode = (short)result.Error,
                    LeaderId = result.Leader,
                    LeaderEpoch = result.LeaderEpoch,
                    Isr = [.. result.Isr],
                    PartitionEpoch = result.PartitionEpoch,
                });
            }

            index += topic.Partitions.Count;
            response.Topics.Add(answered);
        }

        return response;
    }
}
