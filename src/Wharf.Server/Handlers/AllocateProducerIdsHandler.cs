using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// AllocateProducerIds (API 67), v0: the active controller hands a broker the next block of producer ids (KIP-730),
/// committed to the metadata log before it is returned, so blocks never overlap across brokers or restarts. Another
/// node answers NOT_CONTROLLER (the asking broker's forwarder sends it to the controller).
/// Thread-safety: stateless.
/// </summary>
public sealed class AllocateProducerIdsHandler(Controller controller) : IRequestHandler<AllocateProducerIdsRequest, AllocateProducerIdsResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<AllocateProducerIdsResponse?> HandleAsync(RequestContext context, AllocateProducerIdsRequest request, CancellationToken cancellationToken)
    {
        var result = await controller.AllocateProducerIdBlockAsync(request.BrokerId, request.BrokerEpoch, cancellationToken).ConfigureAwait(false);
        return new AllocateProducerIdsResponse
        {
            ErrorCode = (short)result.Error,
            ProducerIdStart = result.Error == Common.ErrorCode.None ? result.Block.FirstProducerId : -1,
            ProducerIdLen = result.Error == Common.ErrorCode.None ? result.Block.Size : 0,
        };
    }
}
