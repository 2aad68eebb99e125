using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server;

/// <summary>
/// Hands out producer ids for InitProducerId from blocks (1000 ids) that the controller allocates to this broker
/// and commits to the metadata log before returning them, so an id is never given out twice — not across
/// restarts either: ids left in a block when the broker stops are skipped, never reused. A new block is asked for
/// only when the current one is used up (one controller round trip per 1000 producers).
/// Thread-safety: safe from any thread; allocation is serialised by a semaphore.
/// </summary>
/// In a cluster a broker that is not the controller asks the controller with AllocateProducerIds (through
/// <paramref name="forwarder"/>), so blocks are unique cluster-wide.
public sealed class ProducerIdManager(Controller controller, int brokerId, ILogger<ProducerIdManager> logger, Forwarding.ControllerForwarder? forwarder = null)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _next;
    private long _end;

    /// <summary>The next unused producer id, or an error when no block could be allocated (the cause is logged).</summary>
    public async Task<(ErrorCode Error, long ProducerId)> GenerateProducerIdAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_next >= _end)
            {
                var result = forwarder is { ShouldForward: true }
                    ? await AllocateRemotelyAsync(forwarder, cancellationToken).ConfigureAwait(false)
                    : await controller.AllocateProducerIdBlockAsync(brokerId, -1, cancellationToken).ConfigureAwait(false);
                if (result.Error != ErrorCode.None)
                {
                    logger.LogWarning("Could not allocate a producer id block: {Error} {Message}", result.Error, result.ErrorMessage);
                    return (result.Error, -1);
                }

                _next = result.Block.FirstProducerId;
                _end = result.Block.LastProducerId + 1;
                logger.LogInformation("Allocated producer ids {First}..{Last}", result.Block.FirstProducerId, result.Block.LastProducerId);
            }

            return (ErrorCode.None, _next++);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<AllocateProducerIdsResult> AllocateRemotelyAsync(Forwarding.ControllerForwarder to, CancellationToken cancellationToken)
    {
        try
        {
            var response = await to.ForwardAsync<AllocateProducerIdsRequest, AllocateProducerIdsResponse>(
                new AllocateProducerIdsRequest { BrokerId = brokerId, BrokerEpoch = -1 }, 0, cancellationToken).ConfigureAwait(false);
            var error = (ErrorCode)response.ErrorCode;
            return error == ErrorCode.None
                ? new AllocateProducerIdsResult(error, null, new ProducerIdBlock(brokerId, response.ProducerIdStart, response.ProducerIdLen))
                : new AllocateProducerIdsResult(error, "the controller refused the producer id block", default);
        }
        catch (IOException e)
        {
            return new AllocateProducerIdsResult(ErrorCode.CoordinatorNotAvailable, $"the controller could not be reached: {e.Message}", default);
        }
    }
}
