using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>
/// Fetch from a follower (<c>replica_id</c> ≥ 0): each partition is read through <see cref="Partition.ReadForFollower"/>
/// — up to the log end, not the high watermark — which first checks the follower's last fetched epoch (a divergence is
/// answered in <c>DivergingEpoch</c>, v12+) and records its fetch offset, so the leader's high watermark and ISR follow
/// its followers. The long poll waits for an append to any of the partitions (or a role change), not for the high
/// watermark, until the follower's <c>min_bytes</c> are there — but once any data is, for at most
/// <c>replica.fetch.linger.ms</c> (<c>replicaLinger</c>): a follower asks for large rounds (they cost far less per record
/// than one round per produce), and a quiet partition's record still goes out within the linger. A divergence or an
/// error answers at once. A replica id that is not a replica of the partition answers
/// NOT_LEADER_OR_FOLLOWER.
/// </summary>
public sealed partial class FetchHandler
{
    private async ValueTask<FetchResponse?> HandleReplicaFetchAsync(RequestContext context, FetchRequest request, CancellationToken cancellationToken)
    {
        var time = replicas.Time;
        var deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(Math.Max(0, request.MaxWaitMs));
        DateTimeOffset? lingerUntil = null;
        while (true)
        {
            var signals = replicas.LogEndSignals(request.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.Partition))));

            var round = new List<IDisposable>();
            var (response, bytes, answerNow) = ReadForReplica(request, round);
            var now = time.GetUtcNow();
            if (bytes > 0)
            {
                // Some data is here but less than the follower asked for: collect appends for at most the linger.
                lingerUntil ??= now + replicaLinger;
                deadline = lingerUntil.Value < deadline ? lingerUntil.Value : deadline;
            }

            var remaining = deadline - now;
            if (bytes >= request.MinBytes || answerNow || remaining <= TimeSpan.Zero || signals.Count == 0)
            {
                round.ForEach(context.DisposeAfterResponse);
                return response;
            }

            round.ForEach(r => r.Dispose());
            await replicas.WaitForAnyAsync(signals, remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    private (FetchResponse Response, long Bytes, bool AnswerNow) ReadForReplica(FetchRequest request, List<IDisposable> buffers)
    {
        var response = new FetchResponse();
        long total = 0;
        var answerNow = false;
        var budget = ResponseBudget(request);
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic };
            response.Responses.Add(topicResponse);
            foreach (var fetch in topic.Partitions)
            {
                var data = EmptyPartition(fetch.Partition);
                topicResponse.Partitions.Add(data);
                var (partition, unavailable) = replicas.GetPartitionOrError(new TopicPartition(topic.Topic, fetch.Partition));
                if (partition is null)
                {
                    data.ErrorCode = (short)unavailable;
                    answerNow = true;
                    continue;
                }

                // Every partition is read, even with the response full: the read records the follower's fetch offset.
                var result = partition.ReadForFollower(request.ReplicaId, fetch.FetchOffset, fetch.LastFetchedEpoch, fetch.CurrentLeaderEpoch, Math.Min(budget, fetch.PartitionMaxBytes));
                data.ErrorCode = (short)result.Error;
                data.HighWatermark = result.HighWatermark;
                data.LastStableOffset = result.Error == ErrorCode.None ? partition.LastStableOffset : -1;
                data.LogStartOffset = result.LogStartOffset;
                if (result.Diverging is { } diverging)
                {
                    data.DivergingEpoch = new() { Epoch = diverging.Epoch, EndOffset = diverging.EndOffset };
                    answerNow = true;
                }

                answerNow |= result.Error != ErrorCode.None;
                if (!result.Records.IsEmpty && budget > 0)
                {
                    data.Records = Records(result.Records, buffers, out var read);
                    total += read;
                    budget = (int)Math.Max(0, budget - read);
                }
            }
        }

        return (response, total, answerNow);
    }
}
