using System.Buffers;
using System.Text;
using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Records;

namespace Wharf.Server.Http.Api;

/// <summary>
/// Reads messages of one partition for the API (Fetch from the partition's leader, as a consumer at read-uncommitted,
/// up to the high watermark) and produces one message (Produce to the leader with <c>acks=all</c>). A page starts at an
/// offset, at the first offset at or after a timestamp (ListOffsets), or by default at the last <c>limit</c> messages;
/// an optional query keeps only messages whose key, value or a header contains it (case-insensitive, within the page).
/// Control records (transaction markers) are skipped. Thread-safety: stateless.
/// </summary>
public sealed class MessageBrowser(ClusterClient cluster, TimeProvider time)
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 500;

    private const int FetchMaxBytes = 4 * 1024 * 1024;

    private const int MaxFetchRounds = 16;

    public async Task<MessagePage> BrowseAsync(string topic, int partition, long? offset, long? timestamp, int limit, string? query, CancellationToken cancellationToken)
    {
        var leader = await cluster.LeaderAsync(topic, partition, cancellationToken).ConfigureAwait(false);
        var starts = cluster.ListOffsetsAsync(topic, [(partition, leader)], -2, cancellationToken);
        var ends = cluster.ListOffsetsAsync(topic, [(partition, leader)], -1, cancellationToken);
        await Task.WhenAll(starts, ends).ConfigureAwait(false);
        if (!starts.Result.TryGetValue(partition, out var logStart) || !ends.Result.TryGetValue(partition, out var highWatermark))
        {
            throw new ApiException(503, "NOT_LEADER_OR_FOLLOWER", $"the leader of {topic}-{partition} did not answer for its offsets; try again");
        }

        long start;
        if (timestamp is { } at)
        {
            var found = await cluster.ListOffsetsAsync(topic, [(partition, leader)], at, cancellationToken).ConfigureAwait(false);
            start = found.TryGetValue(partition, out var atOffset) && atOffset >= 0 ? atOffset : highWatermark;
        }
        else
        {
            start = offset ?? Math.Max(logStart, highWatermark - limit);
        }

        start = Math.Clamp(start, logStart, Math.Max(logStart, highWatermark));
        var (messages, next) = await FetchAsync(topic, partition, leader, start, highWatermark, limit, cancellationToken).ConfigureAwait(false);
        var scanned = messages.Count;
        if (!string.IsNullOrEmpty(query))
        {
            messages = [.. messages.Where(m => Matches(m, query))];
        }

        return new MessagePage(topic, partition, logStart, highWatermark, start, next, limit, string.IsNullOrEmpty(query) ? null : query, scanned, messages);
    }

    public async Task<Produced> ProduceAsync(string topic, ProduceBody body, CancellationToken cancellationToken)
    {
        var key = body.Key is null ? null : PayloadPreview.Decode(body.Key, body.KeyEncoding, "key");
        var value = body.Value is null ? null : PayloadPreview.Decode(body.Value, body.ValueEncoding, "value");
        var metadata = await cluster.TopicAsync(topic, cancellationToken).ConfigureAwait(false);
        if (metadata.Partitions.Count == 0)
        {
            throw new ApiException(503, "LEADER_NOT_AVAILABLE", $"topic '{topic}' has no partitions yet");
        }

        var partition = body.Partition ?? (key is null
            ? Random.Shared.Next(metadata.Partitions.Count)
            : DefaultPartitioner.Partition(key, metadata.Partitions.Count));
        var target = metadata.Partitions.SingleOrDefault(p => p.PartitionIndex == partition)
            ?? throw ApiException.NotFound("UNKNOWN_TOPIC_OR_PARTITION", $"topic '{topic}' has no partition {partition}");
        if (target.LeaderId < 0)
        {
            throw new ApiException(503, "LEADER_NOT_AVAILABLE", $"partition {topic}-{partition} has no leader");
        }

        var headers = (body.Headers ?? []).Select(h => new RecordHeaderEntry(h.Key, h.Value is null ? null : Encoding.UTF8.GetBytes(h.Value))).ToArray();
        var timestamp = time.GetUtcNow().ToUnixTimeMilliseconds();
        var batch = new RecordBatchBuilder().Append(timestamp, key, value, headers).ToArray();
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 30_000 };
        request.TopicData.Add(new() { Name = topic, PartitionData = [new() { Index = partition, Records = new ReadOnlySequence<byte>(batch) }] });
        var response = await cluster.SendAsync<ProduceRequest, ProduceResponse>(target.LeaderId, request, 9, cancellationToken).ConfigureAwait(false);
        var result = response.Responses.SelectMany(r => r.PartitionResponses).Single();
        if (result.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)result.ErrorCode, result.ErrorMessage, $"producing to {topic}-{partition}");
        }

        return new Produced(topic, partition, result.BaseOffset, result.LogAppendTimeMs >= 0 ? result.LogAppendTimeMs : timestamp);
    }

    private async Task<(List<MessageView> Messages, long Next)> FetchAsync(string topic, int partition, int leader, long start, long highWatermark, int limit, CancellationToken cancellationToken)
    {
        var messages = new List<MessageView>();
        var position = start;
        for (var round = 0; round < MaxFetchRounds && messages.Count < limit && position < highWatermark; round++)
        {
            var request = new FetchRequest
            {
                ReplicaId = -1,
                MaxWaitMs = 0,
                MinBytes = 0,
                MaxBytes = FetchMaxBytes,
                IsolationLevel = 0,
                Topics = [new() { Topic = topic, Partitions = [new() { Partition = partition, FetchOffset = position, PartitionMaxBytes = FetchMaxBytes }] }],
            };
            var response = await cluster.SendAsync<FetchRequest, FetchResponse>(leader, request, 12, cancellationToken).ConfigureAwait(false);
            if (response.ErrorCode != 0)
            {
                throw ApiException.FromKafka((ErrorCode)response.ErrorCode, null, $"fetching {topic}-{partition}");
            }

            var data = response.Responses.SelectMany(r => r.Partitions).Single();
            if (data.ErrorCode != 0)
            {
                throw ApiException.FromKafka((ErrorCode)data.ErrorCode, null, $"fetching {topic}-{partition} at offset {position}");
            }

            var records = data.Records is { } sequence ? sequence.ToArray() : [];
            var next = ReadBatches(topic, partition, records, position, highWatermark, limit, messages);
            if (next <= position)
            {
                break;
            }

            position = next;
        }

        return (messages, messages.Count > 0 ? messages[^1].Offset + 1 : position);
    }

    /// <summary>Adds the records of the whole batches in <paramref name="records"/> from <paramref name="from"/>; returns the offset after the last batch read.</summary>
    private static long ReadBatches(string topic, int partition, byte[] records, long from, long highWatermark, int limit, List<MessageView> messages)
    {
        var next = from;
        var position = 0;
        while (records.Length - position >= RecordBatchLayout.HeaderSize && messages.Count < limit)
        {
            var header = RecordBatchHeader.Read(records.AsSpan(position));
            if (header.TotalSize > records.Length - position || header.BatchLength <= 0)
            {
                break;
            }

            var batch = records.AsSpan(position, header.TotalSize);
            position += header.TotalSize;
            if (!header.IsControl)
            {
                if (RecordBatchReader.TryOpen(batch, 64 * 1024 * 1024, out var reader) != RecordBatchError.None)
                {
                    throw new ApiException(502, "CORRUPT_MESSAGE", $"a record batch of {topic}-{partition} at offset {header.BaseOffset} cannot be read");
                }

                using (reader)
                {
                    foreach (var record in reader)
                    {
                        if (record.Offset >= from && record.Offset < highWatermark && messages.Count < limit)
                        {
                            messages.Add(View(topic, partition, header, record));
                        }
                    }
                }
            }

            next = Math.Max(next, messages.Count >= limit ? messages[^1].Offset + 1 : header.NextOffset);
        }

        return next;
    }

    private static MessageView View(string topic, int partition, RecordBatchHeader batch, Record record)
    {
        var headers = new List<HeaderView>();
        foreach (var header in record.Headers)
        {
            headers.Add(new HeaderView(Encoding.UTF8.GetString(header.Key), header.IsValueNull ? null : PayloadPreview.Of(header.Value)));
        }

        return new MessageView(topic, partition, record.Offset, record.Timestamp,
            batch.TimestampType == TimestampType.LogAppendTime ? "log_append_time" : "create_time",
            record.IsKeyNull ? null : PayloadPreview.Of(record.Key),
            record.IsValueNull ? null : PayloadPreview.Of(record.Value),
            headers, record.SizeInBytes);
    }

    private static bool Matches(MessageView message, string query) =>
        Contains(message.Key, query) || Contains(message.Value, query)
        || message.Headers.Any(h => h.Key.Contains(query, StringComparison.OrdinalIgnoreCase) || Contains(h.Value, query));

    private static bool Contains(PayloadView? payload, string query) =>
        payload is { Encoding: "utf8" } && payload.Data.Contains(query, StringComparison.OrdinalIgnoreCase);
}
