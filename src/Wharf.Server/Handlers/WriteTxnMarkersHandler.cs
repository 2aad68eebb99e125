using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Protocol.Messages;
using Wharf.Server.Transactions;

namespace Wharf.Server.Handlers;

/// <summary>
/// WriteTxnMarkers (API 27), v0–1: a transaction coordinator on another broker asks this one to end a producer's
/// transaction in the partitions it leads. Each marker's COMMIT or ABORT is appended to each of its partitions at the
/// marker's coordinator epoch (<see cref="TransactionMarkerAppender"/>; for <c>__consumer_offsets</c> the group
/// coordinator also commits or drops the producer's transactional offsets), all concurrently, and the answer lists an
/// error per partition: NOT_LEADER_OR_FOLLOWER for one not led here, UNKNOWN_TOPIC_OR_PARTITION for one the metadata
/// does not know, TRANSACTION_COORDINATOR_FENCED for a marker from an older coordinator than the producer's last
/// marker here, INVALID_PRODUCER_EPOCH for a stale producer epoch, INVALID_REQUEST for a marker without a producer.
/// Thread-safety: stateless.
/// </summary>
public sealed class WriteTxnMarkersHandler(TransactionMarkerAppender markers) : IRequestHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>
{
    public static ApiVersionRange Versions => new(0, 1);

    public async ValueTask<WriteTxnMarkersResponse?> HandleAsync(RequestContext context, WriteTxnMarkersRequest request, CancellationToken cancellationToken)
    {
        var response = new WriteTxnMarkersResponse();
        var writes = new List<(WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult Result, Task<ErrorCode> Error)>();
        foreach (var entry in request.Markers)
        {
            var marker = new TransactionMarker(entry.ProducerId, entry.ProducerEpoch, entry.CoordinatorEpoch, entry.TransactionResult);
            var result = new WriteTxnMarkersResponse.WritableTxnMarkerResult { ProducerId = entry.ProducerId };
            response.Markers.Add(result);
            foreach (var topic in entry.Topics)
            {
                var topicResult = new WriteTxnMarkersResponse.WritableTxnMarkerTopicResult { Name = topic.Name };
                result.Topics.Add(topicResult);
                foreach (var partition in topic.PartitionIndexes)
                {
                    var partitionResult = new WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult { PartitionIndex = partition };
                    topicResult.Partitions.Add(partitionResult);
                    writes.Add((partitionResult, markers.AppendAsync(marker, new TopicPartition(topic.Name, partition))));
                }
            }
        }

        foreach (var (result, error) in writes)
        {
            result.ErrorCode = (short)await error.ConfigureAwait(false);
        }

        return response;
    }
}
