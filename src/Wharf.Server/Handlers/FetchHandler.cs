using System.Buffers;
using Wharf.Common;
using Wharf.Network;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Handlers;

/// <summary>
/// Fetch (API 1), v4–12. Reads whole batches from each partition's log up to its high watermark — or, for
/// <c>isolation_level=1</c> (read_committed), up to its last stable offset, with the aborted transactions that overlap
/// the returned range so the client can drop their records (the records
/// are file bytes copied once into a pooled buffer and once into the socket pipe, never decoded) and long
/// polls: while fewer than <c>min_bytes</c> are ready it waits for an append to any requested partition or for
/// <c>max_wait_ms</c>. Fetch sessions are never created (session id 0), so clients send full fetches.
/// A response carries at most the request's <c>max_bytes</c> and at most the broker's <c>fetch.max.bytes</c>
/// (<paramref name="maxResponseBytes"/>), whichever is smaller — except that its first batch is always whole (KIP-74).
/// Each partition is read through <see cref="Partition.Read"/>, which checks the request's leader epoch; a partition this
/// broker does not lead answers NOT_LEADER_OR_FOLLOWER (with KIP-951's current leader from v12, as for
/// FENCED_LEADER_EPOCH), one the metadata does not know UNKNOWN_TOPIC_OR_PARTITION. A fetch with a replica id is a
/// follower's (FetchHandler.Replica.cs).
/// Thread-safety: stateless; one instance serves all connections.
/// </summary>
/// <param name="replicas">The partitions this broker leads.</param>
/// <param name="maxResponseBytes">The broker's <c>fetch.max.bytes</c>.</param>
/// <param name="replicaLinger"><c>replica.fetch.linger.ms</c>: how long a follower's fetch that has some data waits for more.</param>
/// <param name="traffic">Where the record bytes sent to clients are counted per topic; null counts nothing.</param>
public sealed partial class FetchHandler(ReplicaManager replicas, int maxResponseBytes = int.MaxValue, TimeSpan replicaLinger = default, Http.TopicTrafficMetrics? traffic = null) : IRequestHandler<FetchRequest, FetchResponse>
{
    public static ApiVersionRange Versions => new(4, 12);

    public async ValueTask<FetchResponse?> HandleAsync(RequestContext context, FetchRequest request, CancellationToken cancellationToken)
    {
        if (request.SessionId != 0)
        {
            return new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound, SessionId = 0 };
        }

        if (request.ReplicaId >= 0)
        {
            return await HandleReplicaFetchAsync(context, request, cancellationToken).ConfigureAwait(false);
        }

        var requested = request.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.Partition))).ToList();
        var time = replicas.Time;
        var deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(Math.Max(0, request.MaxWaitMs));
        while (true)
        {
            var signals = replicas.AppendSignals(requested);
            var round = new List<IDisposable>();
            var (response, bytes, failed) = Read(request, context.Connection.ListenerName, round);
            var remaining = deadline - time.GetUtcNow();
            if (bytes >= request.MinBytes || failed || remaining <= TimeSpan.Zero || signals.Count == 0)
            {
                if (traffic is not null && bytes > 0)
                {
                    CountFetched(response);
                }

                round.ForEach(context.DisposeAfterResponse);
                return response;
            }

            round.ForEach(r => r.Dispose());
            await replicas.WaitForAnyAsync(signals, remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    private (FetchResponse Response, long Bytes, bool Failed) Read(FetchRequest request, string listenerName, List<IDisposable> buffers)
    {
        LeaderHints? hints = null;
        var response = new FetchResponse();
        long total = 0;
        var failed = false;
        var budget = ResponseBudget(request);
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic };
            response.Responses.Add(topicResponse);
            foreach (var fetch in topic.Partitions)
            {
                var data = EmptyPartition(fetch.Partition);
                topicResponse.Partitions.Add(data);
                var topicPartition = new TopicPartition(topic.Topic, fetch.Partition);
                var error = ReadPartition(topicPartition, fetch, data, Math.Min(budget, fetch.PartitionMaxBytes), minOneBatch: total == 0, request.IsolationLevel == 1, buffers, out var read);
                data.ErrorCode = (short)error;
                if (error is ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch)
                {
                    // KIP-951, written from v12 on (a tagged field); NodeEndpoints would need v16, which is not served.
                    var (leaderId, leaderEpoch) = (hints ??= new LeaderHints(replicas.Image, listenerName)).CurrentLeader(topicPartition);
                    data.CurrentLeader = new() { LeaderId = leaderId, LeaderEpoch = leaderEpoch };
                }

                failed |= error != ErrorCode.None;
                total += read;
                budget = (int)Math.Max(0, budget - read);
            }
        }

        return (response, total, failed);
    }

    private ErrorCode ReadPartition(TopicPartition topicPartition, FetchRequest.FetchPartition fetch, FetchResponse.PartitionData data, int maxBytes, bool minOneBatch, bool readCommitted, List<IDisposable> buffers, out int read)
    {
        read = 0;
        var (partition, unavailable) = replicas.GetPartitionOrError(topicPartition);
        if (partition is null)
        {
            return unavailable;
        }

        var isolation = readCommitted ? FetchIsolation.TransactionCommitted : FetchIsolation.HighWatermark;
        var result = partition.Read(new PartitionFetch(fetch.FetchOffset, maxBytes, fetch.CurrentLeaderEpoch, minOneBatch, isolation));
        data.HighWatermark = result.HighWatermark;
        data.LastStableOffset = result.LastStableOffset;
        data.LogStartOffset = result.LogStartOffset;
        if (!result.Records.IsEmpty)
        {
            data.Records = Records(result.Records, buffers, out read);
        }

        if (result.AbortedTransactions is { } aborted)
        {
            data.AbortedTransactions = [.. aborted.Select(a => new FetchResponse.AbortedTransaction { ProducerId = a.ProducerId, FirstOffset = a.FirstOffset })];
        }

        return result.Error;
    }

    /// <summary>Counts the record bytes per topic of a response about to be sent (only when metrics are on).</summary>
    private void CountFetched(FetchResponse response)
    {
        foreach (var topic in response.Responses)
        {
            long bytes = 0;
            foreach (var partition in topic.Partitions)
            {
                bytes += partition.Records?.Length ?? 0;
            }

            if (bytes > 0)
            {
                traffic!.Fetched(topic.Topic, bytes);
            }
        }
    }

    /// <summary>The response's byte budget: the request's <c>max_bytes</c> capped at the broker's <c>fetch.max.bytes</c>.</summary>
    private int ResponseBudget(FetchRequest request) => Math.Min(request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes, maxResponseBytes);

    /// <summary>A partition's answer before it is read: every offset unknown (-1), no records.</summary>
    private static FetchResponse.PartitionData EmptyPartition(int index) =>
        new() { PartitionIndex = index, HighWatermark = -1, LastStableOffset = -1, LogStartOffset = -1, AbortedTransactions = null };

    /// <summary>
    /// The slice as the response's records: a large one as a <see cref="FileRegion"/> that the connection sends with
    /// sendfile (no read into this process), a small one read into a pooled array (cheaper than a descriptor and a
    /// sendfile call).
    /// </summary>
    internal static ReadOnlySequence<byte> Records(LogFileSlice slice, List<IDisposable> buffers, out int read)
    {
        if (slice.Length >= KafkaWriter.MinimumReferencedRecords && slice.FileHandle is { } file && FileRegion.TryOpen(file, slice.Position, slice.Length) is { } region)
        {
            buffers.Add(region);
            read = slice.Length;
            return new ReadOnlySequence<byte>(region.Memory);
        }

        var pooled = slice.ReadPooled();
        buffers.Add(pooled);
        read = pooled.Length;
        return new ReadOnlySequence<byte>(pooled.Memory);
    }
}
