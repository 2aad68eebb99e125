using Wharf.Common;

namespace Wharf.Storage;

/// <summary>
/// A producer's batch failed the idempotence checks (<see cref="ProducerStateManager.Check"/>):
/// OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, or DUPLICATE_SEQUENCE_NUMBER for a retried batch inside a
/// multi-batch append. Nothing of that append was written.
/// </summary>
public sealed class ProducerStateException(ErrorCode errorCode, string message) : LogException(errorCode, message);
