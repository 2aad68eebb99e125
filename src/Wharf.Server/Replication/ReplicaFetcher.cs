using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using Wharf.Storage;

namespace Wharf.Server.Replication;

/// <summary>
/// One fetch loop from one leader broker (Kafka's <c>ReplicaFetcherThread</c>): repeatedly sends that leader a Fetch v12
/// with this broker's replica id for every partition this broker follows it in (those of <see cref="Slot"/> when
/// several loops share a leader), then applies the answer per partition through <see cref="Partition.ApplyLeaderAnswer"/>
/// (shared with the cluster simulation):
/// <list type="bullet">
/// <item>records are appended as follower; the loop waits until every partition's appends are durable before its
/// next fetch — so the fetch offset it reports is on disk (one group-commit fsync covers them all) — and then takes
/// the leader's high watermark and log start;</item>
/// <item>a diverging epoch truncates the log where it left the leader's (<see cref="Partition.TruncationOffsetFor"/>);
/// the next fetch checks again, so several rounds settle a double failover (KIP-279);</item>
/// <item>OFFSET_OUT_OF_RANGE below the leader's log start restarts the log there;</item>
/// <item>a partition that moved on (new leader, new epoch, other role) is skipped: every follower operation names the
/// leader and epoch it fetched from and is refused otherwise, so a late answer from a deposed leader changes
/// nothing.</item>
/// </list>
/// A failed fetch (unreachable leader, timeout) waits <see cref="ReplicaFetcherOptions.Backoff"/>; partitions whose
/// leader refused them wait it out too while the others go on.
/// Thread-safety: one task runs the loop; <see cref="DisposeAsync"/> stops it.
/// </summary>
internal sealed class ReplicaFetcher : IAsyncDisposable
{
    /// <summary>The Fetch version followers send: replica id, last fetched epoch and diverging epoch, topic names.</summary>
    internal const short FetchVersion = 12;

    /// <summary>How soon a partition is fetched again after its leader answered as if it were not (yet) the leader.</summary>
    private static readonly TimeSpan LeaderBehindBackoff = TimeSpan.FromMilliseconds(50);

    private readonly ReplicaManager _replicas;
    private readonly BrokerConnectionPool _connections;
    private readonly ReplicaFetcherOptions _options;
    private readonly int _localBrokerId;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<TopicPartition, DateTimeOffset> _delayed = [];
    private readonly Task _loop;
    private int _failures;

    public ReplicaFetcher(int leaderId, int slot, ReplicaManager replicas, BrokerConnectionPool connections, ReplicaFetcherOptions options, int localBrokerId, ILogger logger)
    {
        LeaderId = leaderId;
        Slot = slot;
        _replicas = replicas;
        _connections = connections;
        _options = options;
        _localBrokerId = localBrokerId;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public int LeaderId { get; }

    public int Slot { get; }

    /// <summary>The partitions of this loop: followed from <see cref="LeaderId"/> and hashed to <see cref="Slot"/>.</summary>
    public List<Partition> Partitions() =>
        [.. _replicas.FollowedPartitions(LeaderId).Where(p => SlotOf(p.TopicPartition, _options.FetchersPerLeader) == Slot)];

    private static int SlotOf(TopicPartition topicPartition, int fetchers) =>
        fetchers <= 1 ? 0 : (int)((uint)HashCode.Combine(StringComparer.Ordinal.GetHashCode(topicPartition.Topic), topicPartition.Partition) % (uint)fetchers);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var changed = _replicas.FollowershipChanged;
            var partitions = Partitions();
            var now = _replicas.Time.GetUtcNow();
            foreach (var expired in _delayed.Where(d => d.Value <= now).Select(d => d.Key).ToList())
            {
                _delayed.Remove(expired);
            }

            var ready = partitions.Where(p => !_delayed.ContainsKey(p.TopicPartition)).ToList();
            if (ready.Count == 0)
            {
                // Everything waits out a backoff (or there is nothing to follow): until the first one ends or the
                // followed partitions change.
                var wait = _delayed.Count > 0 ? _delayed.Values.Min() - now : Timeout.InfiniteTimeSpan;
                using var pause = CancellationTokenSource.CreateLinkedTokenSource(token);
                await Task.WhenAny(changed, Task.Delay(wait, _replicas.Time, pause.Token)).ConfigureAwait(false);
                await pause.CancelAsync().ConfigureAwait(false);
                continue;
            }

            await FetchOnceAsync(ready, changed, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One round. A change of the followed partitions (<paramref name="changed"/>) while the fetch waits at the leader
    /// abandons it (its connection is closed) so the next round asks for the new set at once, not after the long poll —
    /// a partition that just moved to this leader is what acks=all writes wait on.
    /// </summary>
    private async Task FetchOnceAsync(List<Partition> partitions, Task changed, CancellationToken token)
    {
        // A follower's fetch offset is what it reports durable: anything appended but not yet on disk (a log recovered
        // from page cache, an earlier term's tail) is flushed first.
        var flushes = partitions.Where(p => p.DurableEndOffset < p.LogEndOffset).Select(p => p.WhenDurable(p.LogEndOffset)).ToList();
        if (flushes.Count > 0)
        {
            await Task.WhenAll(flushes).ConfigureAwait(false);
        }

        var sent = new Dictionary<TopicPartition, (Partition Partition, int LeaderEpoch, long FetchOffset)>();
        var request = new FetchRequest
        {
            ReplicaId = _localBrokerId,
            MaxWaitMs = (int)LongPoll().TotalMilliseconds,
            MinBytes = _options.MinBytes,
            MaxBytes = _options.ResponseMaxBytes,
            IsolationLevel = 0,
            SessionId = 0,
            SessionEpoch = -1,
        };
        foreach (var byTopic in partitions.GroupBy(p => p.TopicPartition.Topic, StringComparer.Ordinal))
        {
            var topic = new FetchRequest.FetchTopic { Topic = byTopic.Key };
            request.Topics.Add(topic);
            foreach (var partition in byTopic)
            {
                var leaderEpoch = partition.LeaderEpoch;
                var (fetchOffset, lastFetchedEpoch) = partition.FollowerFetchPosition;
                topic.Partitions.Add(new FetchRequest.FetchPartition
                {
                    Partition = partition.TopicPartition.Partition,
                    CurrentLeaderEpoch = leaderEpoch,
                    FetchOffset = fetchOffset,
                    LastFetchedEpoch = lastFetchedEpoch,
                    LogStartOffset = partition.LogStartOffset,
                    PartitionMaxBytes = _options.PartitionMaxBytes,
                });
                sent[partition.TopicPartition] = (partition, leaderEpoch, fetchOffset);
            }
        }

        FetchResponse response;
        using var round = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            var sending = _connections.SendAsync<FetchRequest, FetchResponse>(LeaderId, request, FetchVersion, round.Token);
            if (await Task.WhenAny(sending, changed).ConfigureAwait(false) != sending)
            {
                await round.CancelAsync().ConfigureAwait(false);
                await ((Task)sending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!sending.IsCompletedSuccessfully)
                {
                    return;
                }
            }

            response = await sending.ConfigureAwait(false);
        }
        catch (IOException e)
        {
            _failures++;
            _logger.Log(_failures == 1 ? LogLevel.Warning : LogLevel.Debug, "Fetching {Count} partition(s) from leader {Leader} failed ({Message}); retrying in {Backoff}",
                sent.Count, LeaderId, e.Message, _options.Backoff);
            await Task.Delay(_options.Backoff, _replicas.Time, token).ConfigureAwait(false);
            return;
        }

        if (_failures > 0)
        {
            _logger.LogInformation("Fetching from leader {Leader} works again after {Failures} failure(s)", LeaderId, _failures);
            _failures = 0;
        }

        if (response.ErrorCode != 0)
        {
            _logger.LogWarning("Leader {Leader} refused the fetch: {Error}", LeaderId, (ErrorCode)response.ErrorCode);
            await Task.Delay(_options.Backoff, _replicas.Time, token).ConfigureAwait(false);
            return;
        }

        var pending = new List<Task>();
        foreach (var topic in response.Responses)
        {
            foreach (var data in topic.Partitions)
            {
                var topicPartition = new TopicPartition(topic.Topic, data.PartitionIndex);
                if (sent.TryGetValue(topicPartition, out var asked) && Apply(asked.Partition, asked.LeaderEpoch, asked.FetchOffset, data) is { } durable)
                {
                    pending.Add(durable);
                }
            }
        }

        if (pending.Count > 0)
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How long this round may wait at the leader: <c>replica.fetch.wait.max.ms</c>, but no longer than until the first
    /// partition waiting out a backoff is due again — it joins the next round, and a partition that just moved to this
    /// leader (asked too early) is what acks=all writes there wait on.
    /// </summary>
    private TimeSpan LongPoll()
    {
        if (_delayed.Count == 0)
        {
            return _options.WaitMax;
        }

        var untilDue = _delayed.Values.Min() - _replicas.Time.GetUtcNow();
        return untilDue <= TimeSpan.Zero ? TimeSpan.Zero : untilDue < _options.WaitMax ? untilDue : _options.WaitMax;
    }

    /// <summary>
    /// Applies one partition's answer through <see cref="Partition.ApplyLeaderAnswer"/> (the decision lives there, so the
    /// cluster simulation runs the same code) and logs what it did; returns the task of its append becoming durable (and
    /// the high watermark taken), if it appended.
    /// </summary>
    private Task? Apply(Partition partition, int leaderEpoch, long fetchOffset, FetchResponse.PartitionData data)
    {
        var diverging = data.DivergingEpoch is { } wire ? new DivergingEpoch(wire.Epoch, wire.EndOffset) : (DivergingEpoch?)null;
        var answer = new LeaderFetchAnswer((ErrorCode)data.ErrorCode, RecordsOf(data), data.HighWatermark, data.LogStartOffset, diverging);
        var outcome = partition.ApplyLeaderAnswer(LeaderId, leaderEpoch, fetchOffset, answer);
        switch (outcome.Action)
        {
            case LeaderAnswerAction.Truncated:
                _logger.LogInformation("{Partition}: log diverges from leader {Leader} (its epoch {Epoch} ends at {EndOffset}); truncating from {LogEnd} to {Offset}",
                    partition.TopicPartition, LeaderId, diverging!.Value.Epoch, diverging.Value.EndOffset, outcome.PreviousLogEndOffset, outcome.Offset);
                break;
            case LeaderAnswerAction.RestartedAtLogStart:
                _logger.LogInformation("{Partition}: offset {Offset} is below leader {Leader}'s log start {LogStart}; restarting the log there",
                    partition.TopicPartition, fetchOffset, LeaderId, data.LogStartOffset);
                break;
            case LeaderAnswerAction.TruncatedToHighWatermark:
                _logger.LogWarning("{Partition}: offset {Offset} is beyond leader {Leader}'s log; truncating to its high watermark {HighWatermark}",
                    partition.TopicPartition, fetchOffset, LeaderId, data.HighWatermark);
                break;
            case LeaderAnswerAction.Refused:
                {
                    // Not the leader (yet or any more), an epoch mismatch, an unknown partition or an offline log: the
                    // metadata will say what to do; meanwhile this partition waits. A leader that has not applied its
                    // election yet (it does within milliseconds of this follower) is asked again soon: the whole
                    // partition's acks=all writes wait on this follower.
                    var backoff = answer.Error is ErrorCode.UnknownLeaderEpoch or ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition
                        ? LeaderBehindBackoff
                        : _options.Backoff;
                    _logger.LogDebug("{Partition}: leader {Leader} answered {Error}; retrying in {Backoff}", partition.TopicPartition, LeaderId, answer.Error, backoff);
                    _delayed[partition.TopicPartition] = _replicas.Time.GetUtcNow() + backoff;
                    break;
                }

            case LeaderAnswerAction.Failed:
                _logger.LogError(outcome.Failure, "{Partition}: could not apply leader {Leader}'s answer; retrying in {Backoff}", partition.TopicPartition, LeaderId, _options.Backoff);
                _delayed[partition.TopicPartition] = _replicas.Time.GetUtcNow() + _options.Backoff;
                break;
        }

        return outcome.Durable;
    }

    /// <summary>The answer's records as one block: the answer owns its bytes (one array per response).</summary>
    private static Memory<byte> RecordsOf(FetchResponse.PartitionData data)
    {
        if (data.Records is not { Length: > 0 } records)
        {
            return Memory<byte>.Empty;
        }

        return records.IsSingleSegment && MemoryMarshal.TryGetArray(records.First, out var segment)
            ? segment.AsMemory()
            : System.Buffers.BuffersExtensions.ToArray(records).AsMemory();
    }
}
