using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Metadata;

namespace Wharf.Server;

/// <summary>
/// Hands out producer ids for InitProducerId from blocks (1000 ids) that the controller allocates to this broker
/// and commits to the metadata log before returning them, so an id is never given out twice — not across
/// restarts either: ids left in a block when the broker stops are skipped, never reused. A new block is asked for
/// only when the current one is used up (one controller round trip per 1000 producers).
/// Thread-safety: safe from any thread; allocation is serialised by a semaphore.
/// </summary>
public sealed class ProducerIdManager(Controller controller, int brokerId, ILogger<ProducerIdManager> logger)
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
                var result = await controller.AllocateProducerIdBlockAsync(brokerId, -1, cancellationToken).ConfigureAwait(false);
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
}
