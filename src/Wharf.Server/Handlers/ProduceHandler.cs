using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Replication;
using Wharf.Server.Transactions;
using Wharf.Storage;

namespace Wharf.Server.Handlers;

/// <summary>
/// Produce (API 0), v3–10. Appends each partition's record batch to the partition it leads and answers when
/// the append is durable on this broker (acks 1), once the high watermark passes it — every in-sync replica has it on
/// disk — within the request's timeout (acks -1; REQUEST_TIMED_OUT after it, NOT_ENOUGH_REPLICAS before appending when
/// the ISR is below <c>min.insync.replicas</c>), or not at all (acks 0). Every partition
/// is appended concurrently so one group-commit fsync covers them all. Idempotent producers: the log checks
/// sequences and epochs (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH) and answers a retried batch with its
/// original base offset, as Kafka does (never DUPLICATE_SEQUENCE_NUMBER for a single batch). Transactional batches
/// (KIP-890 part 1): the producer's transaction must be Ongoing with this partition added, at its current epoch, else
/// INVALID_TXN_STATE (INVALID_PRODUCER_EPOCH for an old epoch) — a late batch of a finished transaction cannot join
/// the next one. The request's transactional partitions are verified together, once, with the transaction's
/// coordinator wherever it is (<see cref="TransactionVerifier"/>); a coordinator that cannot answer now makes them
/// NOT_ENOUGH_REPLICAS, which producers retry.
/// A partition this broker does not lead answers NOT_LEADER_OR_FOLLOWER (with KIP-951's current leader and its
/// endpoint from v10, so the client re-routes at once), one the metadata does not know UNKNOWN_TOPIC_OR_PARTITION.
/// Appended records and bytes are counted per topic in <paramref name="traffic"/> when given.
/// Thread-safety: stateless; one instance serves all connections.
/// </summary>
public sealed class ProduceHandler(ReplicaManager replicas, ILogger<ProduceHandler> logger, TransactionVerifier? transactions = null, Http.TopicTrafficMetrics? traffic = null) : IRequestHandler<ProduceRequest, ProduceResponse>
{
    public static ApiVersionRange Versions => new(3, 10);

    /// <summary>
    /// ApiVersions lists Produce from v0 although v0–2 (message formats 0 and 1) are refused, as Kafka 4.0 does
    /// (KAFKA-18659): librdkafka before 2.11.1 — Debian's kcat and python3-confluent-kafka among them — enables gzip
    /// and snappy only when the broker's Produce range includes v0, and otherwise sends those batches uncompressed
    /// without a word. Clients pick the highest version both sides support, so none sends v0–2 because of this.
    /// </summary>
    public static short? AdvertisedMinVersion => 0;

    public async ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request, CancellationToken cancellationToken)
    {
        var validAcks = request.Acks is 0 or 1 or -1;
        var verification = validAcks ? VerifyTransaction(request, cancellationToken) : null;
        var pending = new List<(TopicPartition Partition, ProduceResponse.PartitionProduceResponse Response, Task<PartitionOutcome> Outcome)>();
        var response = new ProduceResponse();
        foreach (var topic in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topic.Name };
            response.Responses.Add(topicResponse);
            foreach (var data in topic.PartitionData)
            {
                var partitionResponse = new ProduceResponse.PartitionProduceResponse { Index = data.Index, BaseOffset = -1 };
                topicResponse.PartitionResponses.Add(partitionResponse);
                var topicPartition = new TopicPartition(topic.Name, data.Index);
                var outcome = validAcks
                    ? AppendAsync(topicPartition, data.Records, request.TransactionalId, verification, request.Acks, TimeSpan.FromMilliseconds(Math.Max(0, request.TimeoutMs)))
                    : Task.FromResult(PartitionOutcome.Failed(ErrorCode.InvalidRequiredAcks, $"acks must be 0, 1 or -1, not {request.Acks}"));
                pending.Add((topicPartition, partitionResponse, outcome));
            }
        }

        LeaderHints? hints = null;
        foreach (var (topicPartition, partitionResponse, outcome) in pending)
        {
            var result = await outcome.ConfigureAwait(false);
            partitionResponse.ErrorCode = (short)result.Error;
            partitionResponse.ErrorMessage = result.Message;
            partitionResponse.BaseOffset = result.BaseOffset;
            partitionResponse.LogAppendTimeMs = result.LogAppendTime;
            partitionResponse.LogStartOffset = result.LogStartOffset;
            if (result.Error == ErrorCode.NotLeaderOrFollower)
            {
                // Written from v10 on (tagged fields); older versions leave them out.
                hints ??= new LeaderHints(replicas.Image, context.Connection.ListenerName);
                var (leaderId, leaderEpoch) = hints.CurrentLeader(topicPartition);
                partitionResponse.CurrentLeader = new() { LeaderId = leaderId, LeaderEpoch = leaderEpoch };
            }
        }

        foreach (var (nodeId, host, port, rack) in hints?.Endpoints() ?? [])
        {
            response.NodeEndpoints.Add(new() { NodeId = nodeId, Host = host, Port = port, Rack = rack });
        }

        return request.Acks == 0 ? null : response;
    }

    /// <summary>
    /// Starts verifying the request's transactional batches with their coordinator (null when there are none): one
    /// call per producer id and epoch, normally one, covering every partition whose batch is transactional.
    /// </summary>
    private Task<Dictionary<TopicPartition, ErrorCode>>? VerifyTransaction(ProduceRequest request, CancellationToken cancellationToken)
    {
        if (transactions is null || request.TransactionalId is not { } transactionalId)
        {
            return null;
        }

        List<(long ProducerId, short ProducerEpoch, TopicPartition Partition)>? batches = null;
        Span<byte> header = stackalloc byte[RecordBatchLayout.HeaderSize];
        foreach (var topic in request.TopicData)
        {
            foreach (var data in topic.PartitionData)
            {
                if (data.Records is { } records && records.Length >= header.Length)
                {
                    records.Slice(0, header.Length).CopyTo(header);
                    var batch = RecordBatchHeader.Read(header);
                    if (batch.IsTransactional && batch.HasProducerId)
                    {
                        (batches ??= []).Add((batch.ProducerId, batch.ProducerEpoch, new TopicPartition(topic.Name, data.Index)));
                    }
                }
            }
        }

        return batches is null ? null : VerifyAsync(transactionalId, batches, cancellationToken);
    }

    private async Task<Dictionary<TopicPartition, ErrorCode>> VerifyAsync(string transactionalId, List<(long ProducerId, short ProducerEpoch, TopicPartition Partition)> batches, CancellationToken cancellationToken)
    {
        var verified = new Dictionary<TopicPartition, ErrorCode>();
        foreach (var producer in batches.GroupBy(b => (b.ProducerId, b.ProducerEpoch)))
        {
            var errors = await transactions!.VerifyAsync(transactionalId, producer.Key.ProducerId, producer.Key.ProducerEpoch, [.. producer.Select(b => b.Partition)], cancellationToken).ConfigureAwait(false);
            foreach (var (partition, error) in errors)
            {
                verified[partition] = error;
            }
        }

        return verified;
    }

    private async Task<PartitionOutcome> AppendAsync(TopicPartition topicPartition, ReadOnlySequence<byte>? records, string? transactionalId, Task<Dictionary<TopicPartition, ErrorCode>>? verification, short acks, TimeSpan timeout)
    {
        var (partition, unavailable) = replicas.GetPartitionOrError(topicPartition);
        if (partition is null)
        {
            return PartitionOutcome.Failed(unavailable, unavailable switch
            {
                ErrorCode.UnknownTopicOrPartition => $"{topicPartition} does not exist",
                ErrorCode.NotLeaderOrFollower => $"{topicPartition} is not led by this broker",
                _ => $"{topicPartition} cannot be opened on this broker",
            });
        }

        if (records is not { Length: > 0 } bytes)
        {
            return PartitionOutcome.Failed(ErrorCode.InvalidRecord, "no record batch");
        }

        // Produce v3+ carries exactly one v2 batch per partition. The request frame is ours until this request
        // completes (IRequestProcessor), so the batch is validated and stamped with its offsets where it lies; only
        // a batch split across buffers (never from the network layer) is copied first.
        byte[]? copy = null;
        Memory<byte> batch;
        if (bytes.IsSingleSegment && MemoryMarshal.TryGetArray(bytes.First, out var segment))
        {
            batch = segment;
        }
        else
        {
            var length = checked((int)bytes.Length);
            copy = ArrayPool<byte>.Shared.Rent(length);
            bytes.CopyTo(copy);
            batch = copy.AsMemory(0, length);
        }

        try
        {
            var (error, message) = ProduceValidation.Validate(batch.Span, partition.Config);
            if (error != ErrorCode.None)
            {
                logger.LogInformation("Rejected a batch for {Partition}: {Error}", topicPartition, message);
                return PartitionOutcome.Failed(error, message!);
            }

            var header = RecordBatchHeader.Read(batch.Span);
            if (header.IsTransactional && verification is not null
                && (await verification.ConfigureAwait(false)).GetValueOrDefault(topicPartition, ErrorCode.InvalidTxnState) is var verified && verified != ErrorCode.None)
            {
                var refused = TransactionVerifier.ProduceError(verified);
                logger.LogInformation("Rejected a transactional batch of {TransactionalId} for {Partition}: {Error}", transactionalId, topicPartition, verified);
                return PartitionOutcome.Failed(refused, refused == ErrorCode.NotEnoughReplicas
                    ? $"Unable to verify that {topicPartition} was added to the transaction of {transactionalId}: {verified}"
                    : $"{topicPartition} is not part of an ongoing transaction of {transactionalId} at epoch {header.ProducerEpoch}");
            }

            // ProduceValidation checked the CRC of these bytes; the log checks sizes and magic again.
            var info = await partition.AppendAsLeaderAsync(batch, crcVerified: true, requiredAcks: acks, timeout: timeout).ConfigureAwait(false);
            traffic?.Produced(topicPartition.Topic, header.RecordCount, batch.Length);
            return new PartitionOutcome(ErrorCode.None, null, info.FirstOffset, info.LogAppendTime, info.LogStartOffset);
        }
        catch (ProducerStateException e)
        {
            // Expected under retries and fencing; the client resolves it (resend, epoch bump or fatal).
            logger.LogInformation("Rejected a producer's batch for {Partition}: {Error} {Message}", topicPartition, e.ErrorCode, e.Message);
            return PartitionOutcome.Failed(e.ErrorCode, e.Message);
        }
        catch (LogException e)
        {
            // An offline log logged its failure once, loudly; each refused produce after that is routine, and so is a
            // produce that reached a partition this broker no longer leads.
            // Too few in-sync replicas, or replicas too slow for the request's timeout, is the cluster's state, reported
            // by the ISR changes already.
            var level = partition.IsOffline || e.ErrorCode == ErrorCode.NotLeaderOrFollower ? LogLevel.Debug
                : e.ErrorCode is ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.RequestTimedOut ? LogLevel.Information
                : LogLevel.Warning;
            logger.Log(level, "Append to {Partition} failed: {Error}", topicPartition, e.Message);
            return PartitionOutcome.Failed(e.ErrorCode, e.Message);
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }

    private readonly record struct PartitionOutcome(ErrorCode Error, string? Message, long BaseOffset, long LogAppendTime, long LogStartOffset)
    {
        public static PartitionOutcome Failed(ErrorCode error, string message) => new(error, message, -1, -1, -1);
    }
}
