using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator.Transaction;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Transactions;

/// <summary>
/// The transaction coordinator's marker writer for a cluster (Kafka's <c>TransactionMarkerChannelManager</c>): each
/// partition's marker goes to the partition's leader as the current metadata image names it — in-process when that is
/// this broker (<see cref="TransactionMarkerAppender"/>, no network on a single node), otherwise in one WriteTxnMarkers
/// request per leader over <see cref="BrokerConnectionPool"/>. All leaders are written concurrently.
/// <para>
/// Markers are retried until written, as Kafka does, bounded only by the cancellation token of
/// <see cref="WriteMarkersAsync"/> (the coordinator cancels it when it unloads the partition — a new coordinator epoch —
/// or stops). Between rounds the writer is parked, not polling: it waits for a backoff that doubles from
/// <see cref="InitialRetryBackoff"/> to <see cref="MaxRetryBackoff"/>, or less if the image moves a pending partition's
/// leadership; each round re-resolves the leaders from the newest image. A partition without a leader (offline) stays
/// pending until one is elected. A partition whose topic the image no longer has (deleted) is done, and so is one
/// whose leader answers that the marker is stale (INVALID_PRODUCER_EPOCH: the producer moved on) or that a newer
/// coordinator already wrote it (TRANSACTION_COORDINATOR_FENCED: this coordinator is a zombie; Kafka stops too).
/// Any other error — NOT_LEADER_OR_FOLLOWER, a broker that cannot be reached, NOT_ENOUGH_REPLICAS — is retried.
/// </para>
/// Thread-safety: safe from any thread; holds no state between calls but the pool's connections.
/// </summary>
public sealed class TransactionMarkerRouter(Controller controller, TransactionMarkerAppender local, BrokerConnectionPool connections, TimeProvider time, ILogger<TransactionMarkerRouter> logger) : ITransactionMarkerWriter
{
    /// <summary>WriteTxnMarkers version sent to other brokers (every Wharf broker serves 0–1).</summary>
    private const short RemoteVersion = 1;

    /// <summary>Rounds between two warnings about a marker that still cannot be written.</summary>
    private const int WarnEveryRounds = 20;

    public TimeSpan InitialRetryBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Completes with no failed partition once every marker is written or done; throws <see cref="OperationCanceledException"/> when cancelled first.</summary>
    public async Task<IReadOnlyList<(TopicPartition Partition, ErrorCode Error)>> WriteMarkersAsync(TransactionMarker marker, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        IReadOnlyCollection<TopicPartition> remaining = partitions;
        var backoff = InitialRetryBackoff;
        for (var round = 1; ; round++)
        {
            var image = controller.Current;
            var failed = await WriteRoundAsync(image, marker, remaining, cancellationToken).ConfigureAwait(false);
            if (failed.Count == 0)
            {
                return [];
            }

            logger.Log(
                round % WarnEveryRounds == 0 ? LogLevel.Warning : round == 1 ? LogLevel.Information : LogLevel.Debug,
                "{Result} markers of producer {ProducerId} (coordinator epoch {CoordinatorEpoch}) not written yet after {Rounds} round(s), retrying: {Partitions}",
                marker.Commit ? "COMMIT" : "ABORT", marker.ProducerId, marker.CoordinatorEpoch, round, string.Join(", ", failed.Select(f => $"{f.Partition} ({f.Error})")));
            remaining = [.. failed.Select(f => f.Partition)];
            await WaitBeforeRetryAsync(image, remaining, backoff, cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxRetryBackoff.Ticks));
        }
    }

    /// <summary>One attempt at every pending partition, routed by <paramref name="image"/>; returns those to retry.</summary>
    private async Task<List<(TopicPartition Partition, ErrorCode Error)>> WriteRoundAsync(MetadataImage image, TransactionMarker marker, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        var failed = new List<(TopicPartition, ErrorCode)>();
        var localWrites = new List<(TopicPartition Partition, Task<ErrorCode> Result)>();
        var remote = new Dictionary<int, List<TopicPartition>>();
        foreach (var topicPartition in partitions)
        {
            if (!image.TryGetTopic(topicPartition.Topic, out _))
            {
                logger.LogInformation("Skipping the marker of producer {ProducerId} for {Partition}: its topic no longer exists", marker.ProducerId, topicPartition);
            }
            else if (!image.TryGetPartition(topicPartition, out var partition) || partition.Leader < 0 || !image.IsLive(partition.Leader))
            {
                failed.Add((topicPartition, ErrorCode.LeaderNotAvailable));
            }
            else if (partition.Leader == image.NodeId)
            {
                localWrites.Add((topicPartition, local.AppendAsync(marker, topicPartition)));
            }
            else if (remote.TryGetValue(partition.Leader, out var led))
            {
                led.Add(topicPartition);
            }
            else
            {
                remote[partition.Leader] = [topicPartition];
            }
        }

        var remoteWrites = remote.Select(r => SendAsync(r.Key, marker, r.Value, cancellationToken)).ToList();
        foreach (var (topicPartition, result) in localWrites)
        {
            AddUnlessDone(failed, marker, topicPartition, await result.ConfigureAwait(false));
        }

        foreach (var results in await Task.WhenAll(remoteWrites).ConfigureAwait(false))
        {
            foreach (var (topicPartition, error) in results)
            {
                AddUnlessDone(failed, marker, topicPartition, error);
            }
        }

        return failed;
    }

    /// <summary>WriteTxnMarkers for <paramref name="partitions"/> to broker <paramref name="leader"/>; every partition gets an error (NETWORK_EXCEPTION when the broker could not be reached).</summary>
    private async Task<List<(TopicPartition Partition, ErrorCode Error)>> SendAsync(int leader, TransactionMarker marker, List<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        var request = new WriteTxnMarkersRequest();
        var entry = new WriteTxnMarkersRequest.WritableTxnMarker
        {
            ProducerId = marker.ProducerId,
            ProducerEpoch = marker.ProducerEpoch,
            TransactionResult = marker.Commit,
            CoordinatorEpoch = marker.CoordinatorEpoch,
        };
        foreach (var topic in partitions.GroupBy(p => p.Topic))
        {
            entry.Topics.Add(new() { Name = topic.Key, PartitionIndexes = [.. topic.Select(p => p.Partition)] });
        }

        request.Markers.Add(entry);
        WriteTxnMarkersResponse response;
        try
        {
            response = await connections.SendAsync<WriteTxnMarkersRequest, WriteTxnMarkersResponse>(leader, request, RemoteVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            logger.LogDebug("WriteTxnMarkers to broker {Broker} failed: {Message}", leader, e.Message);
            return [.. partitions.Select(p => (p, ErrorCode.NetworkException))];
        }

        var answered = new Dictionary<TopicPartition, ErrorCode>();
        foreach (var result in response.Markers.Where(m => m.ProducerId == marker.ProducerId))
        {
            foreach (var topic in result.Topics)
            {
                foreach (var partition in topic.Partitions)
                {
                    answered[new TopicPartition(topic.Name, partition.PartitionIndex)] = (ErrorCode)partition.ErrorCode;
                }
            }
        }

        return [.. partitions.Select(p => (p, answered.GetValueOrDefault(p, ErrorCode.UnknownServerError)))];
    }

    private void AddUnlessDone(List<(TopicPartition, ErrorCode)> failed, TransactionMarker marker, TopicPartition topicPartition, ErrorCode error)
    {
        switch (error)
        {
            case ErrorCode.None:
                return;
            case ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionCoordinatorFenced:
                logger.LogInformation("The marker of producer {ProducerId} for {Partition} is stale ({Error}); not retried", marker.ProducerId, topicPartition, error);
                return;
            default:
                failed.Add((topicPartition, error));
                return;
        }
    }

    /// <summary>Waits <paramref name="backoff"/>, or until the image moves the leadership of a pending partition.</summary>
    private async Task WaitBeforeRetryAsync(MetadataImage before, IReadOnlyCollection<TopicPartition> pending, TimeSpan backoff, CancellationToken cancellationToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(backoff, time, wake.Token);
        var moved = controller.WaitForImageAsync(after => !ReferenceEquals(after, before) && pending.Any(p => LeaderOf(before, p) != LeaderOf(after, p)), wake.Token);
        await Task.WhenAny(delay, moved).ConfigureAwait(false);
        await wake.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(delay, moved).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The other wait, cancelled above (or the caller's token, checked below).
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static (int Leader, int LeaderEpoch) LeaderOf(MetadataImage image, TopicPartition topicPartition) =>
        image.TryGetPartition(topicPartition, out var partition) ? (partition.Leader, partition.LeaderEpoch) : (-1, -1);
}
