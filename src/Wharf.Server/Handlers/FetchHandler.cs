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
/// Thread-safety: stateless; one instance serves all connections.
/// </summary>
/// <param name="replicas">The partitions this broker leads.</param>
/// <param name="maxResponseBytes">The broker's <c>fetch.max.bytes</c>.</param>
public sealed class FetchHandler(ReplicaManager replicas, int maxResponseBytes = int.MaxValue) : IRequestHandler<FetchRequest, FetchResponse>
{
    public static ApiVersionRange Versions => new(4, 12);

    public async ValueTask<FetchResponse?> HandleAsync(RequestContext context, FetchRequest request, CancellationToken cancellationToken)
    {
        if (request.SessionId != 0)
        {
            return new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound, SessionId = 0 };
        }

        var requested = request.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.Partition))).ToList();
        var time = replicas.Time;
        var deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(Math.Max(0, request.MaxWaitMs));
        while (true)
        {
            var signals = replicas.AppendSignals(requested);
            var round = new List<IDisposable>();
            var (response, bytes, failed) = Read(request, round);
            var remaining = deadline - time.GetUtcNow();
            if (bytes >= request.MinBytes || failed || remaining <= TimeSpan.Zero || signals.Count == 0)
            {
                round.ForEach(context.DisposeAfterResponse);
                return response;
            }

            round.ForEach(r => r.Dispose());
            await replicas.WaitForAnyAsync(signals, remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    private (FetchResponse Response, long Bytes, bool Failed) Read(FetchRequest request, List<IDisposable> buffers)
    {
        var response = new FetchResponse();
        long total = 0;
        var failed = false;
        var budget = Math.Min(request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes, maxResponseBytes);
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic };
            response.Responses.Add(topicResponse);
            foreach (var fetch in topic.Partitions)
            {
                var data = new FetchResponse.PartitionData { PartitionIndex = fetch.Partition, HighWatermark = -1, LastStableOffset = -1, LogStartOffset = -1, AbortedTransactions = null };
                topicResponse.Partitions.Add(data);
                var error = ReadPartition(new TopicPartition(topic.Topic, fetch.Partition), fetch, data, Math.Min(budget, fetch.PartitionMaxBytes), minOneBatch: total == 0, request.IsolationLevel == 1, buffers, out var read);
                data.ErrorCode = (short)error;
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
        if (replicas.GetPartition(topicPartition) is not { } partition)
        {
            return ErrorCode.UnknownTopicOrPartition;
        }

        var epochError = LeaderEpochCheck.Validate(fetch.CurrentLeaderEpoch, partition.LeaderEpoch);
        if (epochError != ErrorCode.None)
        {
            return epochError;
        }

        // High watermark first, then the last stable offset (see Partition.LastStableOffset), then the data, then the
        // aborted transactions: the log publishes in the opposite order, so aborted data never comes without its entry.
        var highWatermark = partition.HighWatermark;
        var lastStable = Math.Min(highWatermark, partition.LastStableOffset);
        data.HighWatermark = highWatermark;
        data.LastStableOffset = lastStable;
        data.LogStartOffset = partition.Log.LogStartOffset;
        if (readCommitted)
        {
            data.AbortedTransactions = [];
        }

        var bound = readCommitted ? lastStable : highWatermark;
        if (fetch.FetchOffset == highWatermark || maxBytes <= 0 && !minOneBatch || readCommitted && fetch.FetchOffset >= bound && fetch.FetchOffset <= highWatermark)
        {
            return ErrorCode.None;
        }

        if (fetch.FetchOffset > highWatermark)
        {
            return ErrorCode.OffsetOutOfRange;
        }

        try
        {
            var result = partition.Log.Read(fetch.FetchOffset, Math.Max(maxBytes, 1), bound, minOneBatch);
            data.LogStartOffset = result.LogStartOffset;
            if (!result.Slice.IsEmpty)
            {
                data.Records = Records(result.Slice, buffers, out read);
                if (readCommitted)
                {
                    foreach (var aborted in partition.Log.CollectAbortedTransactions(fetch.FetchOffset, result.Slice.NextOffset))
                    {
                        data.AbortedTransactions!.Add(new() { ProducerId = aborted.ProducerId, FirstOffset = aborted.FirstOffset });
                    }
                }
            }

            return ErrorCode.None;
        }
        catch (OffsetOutOfRangeException)
        {
            return ErrorCode.OffsetOutOfRange;
        }
        catch (LogStorageException)
        {
            // The log is offline (a failed fsync) and this offset is at or above what it still serves.
            return ErrorCode.KafkaStorageError;
        }
        catch (ObjectDisposedException)
        {
            // The segment file closed under this read (retention or deletion won the race; see LogFileSlice): its
            // offsets are gone, which is what OFFSET_OUT_OF_RANGE tells the client, and nothing is wrong with the connection.
            data.Records = default;
            data.AbortedTransactions = readCommitted ? [] : null;
            return ErrorCode.OffsetOutOfRange;
        }
    }

    /// <summary>
    /// The slice as the response's records: a large one as a <see cref="FileRegion"/> that the connection sends with
    /// sendfile (no read into this process), a small one read into a pooled array (cheaper than a descriptor and a
    /// sendfile call).
    /// </summary>
    private static ReadOnlySequence<byte> Records(LogFileSlice slice, List<IDisposable> buffers, out int read)
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
