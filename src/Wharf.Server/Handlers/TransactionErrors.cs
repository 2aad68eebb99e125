using Wharf.Common;

namespace Wharf.Server.Handlers;

/// <summary>
/// PRODUCER_FENCED (90) exists since KIP-588; requests older than the version that introduced it get
/// INVALID_PRODUCER_EPOCH (47) instead, as Kafka answers them: InitProducerId &lt; 4, AddPartitionsToTxn &lt; 2,
/// AddOffsetsToTxn &lt; 2, EndTxn &lt; 2, TxnOffsetCommit &lt; 3.
/// </summary>
internal static class TransactionErrors
{
    public static ErrorCode ForVersion(ErrorCode error, short version, short fencedSince) =>
        error == ErrorCode.ProducerFenced && version < fencedSince ? ErrorCode.InvalidProducerEpoch : error;
}
