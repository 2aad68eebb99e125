using Wharf.Common;
using Wharf.Metadata;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Simulation.Tests;

/// <summary>The simulation's actions: clients, replication, metadata, time and faults.</summary>
internal sealed partial class ClusterSimulation
{
    /// <summary>
    /// A client produces 1–3 records with acks=-1 to the leader of a partition as some node's (possibly stale) image
    /// names it — or the controller's, the freshest view. The acknowledgement is collected when it completes
    /// (<see cref="SettleProduces"/>).
    /// </summary>
    private void Produce()
    {
        var partition = _random.Next(Partitions);
        var (viewName, view) = ClientView(partition);
        if (view is not { Leader: > 0 } image)
        {
            Trace("produce", $"p{partition}: {viewName} knows no leader");
            return;
        }

        var node = Node(image.Leader);
        if (!node.CanAct)
        {
            Trace("produce", $"p{partition} to {node.Id} ({viewName}): no answer, it is paused");
            return;
        }

        if (node.Partition(partition) is not { } target)
        {
            Trace("produce", $"p{partition} to {node.Id} ({viewName}): NOT_LEADER_OR_FOLLOWER (not hosted)");
            return;
        }

        var values = Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => $"p{partition}-v{++_values}").ToArray();
        var acks = _options.Break == SimulationBreak.AckAtLeaderLogEnd ? (short)1 : (short)-1;
        var start = target.LogEndOffset;
        var term = target.LeaderEpoch;
        var task = target.AppendAsLeaderAsync(SimRecords.Batch(_time.GetUtcNow().ToUnixTimeMilliseconds(), values), requiredAcks: acks);
        if (task.IsFaulted)
        {
            Trace("produce", $"p{partition} [{string.Join(",", values)}] to {node.Id} ({viewName}): {ErrorOf(task.Exception)}");
            return;
        }

        _produces.Add(new ProduceCall(node, target, term, start + values.Length, [.. values], acks, task, _step));
        Trace("produce", $"p{partition} [{string.Join(",", values)}] to {node.Id} at epoch {term} ({viewName}): appended at {start}, waiting for acks={acks}");
    }

    /// <summary>
    /// Collects every produce whose outcome is decided: the high watermark passed it (or, with acks=1, the leader has it
    /// durably), or the leadership it was appended in ended, or the node crashed (the client never hears back).
    /// </summary>
    private void SettleProduces()
    {
        foreach (var call in _produces.ToList())
        {
            if (call.Node != Node(call.Node.Id))
            {
                _produces.Remove(call);
                Trace("produce outcome", $"{string.Join(",", call.Values)} (step {call.Step}): no answer, node {call.Node.Id} crashed");
                continue;
            }

            var leadership = call.Partition.Leadership;
            var decided = call.Task.IsCompleted
                || leadership.Role != PartitionRole.Leader || leadership.LeaderEpoch != call.Term
                || (call.Acks == -1 ? call.Partition.HighWatermark : call.Partition.DurableEndOffset) >= call.ExpectedEnd;
            if (!decided || call.Node.Paused)
            {
                continue;
            }

            Wait(call.Task, $"the produce of {string.Join(",", call.Values)}");
            if (!call.Task.IsCompleted)
            {
                return;
            }

            _produces.Remove(call);
            if (call.Task.IsCompletedSuccessfully)
            {
                var info = call.Task.Result;
                call.Node.SpokeFromDisk = true;
                for (var i = 0; i < call.Values.Length; i++)
                {
                    Acknowledge(call.Partition.TopicPartition.Partition, info.FirstOffset + i, call.Values[i]);
                }

                Trace("produce outcome", $"p{call.Partition.TopicPartition.Partition} {string.Join(",", call.Values)} (step {call.Step}): acknowledged at {info.FirstOffset}..{info.LastOffset} by {call.Node.Id}");
            }
            else
            {
                Trace("produce outcome", $"{string.Join(",", call.Values)} (step {call.Step}): {ErrorOf(call.Task.Exception)}");
            }
        }
    }

    /// <summary>A consumer reads (read_uncommitted, below the high watermark) from the leader some view names, from a random offset.</summary>
    private void Consume()
    {
        var partition = _random.Next(Partitions);
        var (viewName, view) = ClientView(partition);
        if (view is not { Leader: > 0 } image || !Node(image.Leader).CanAct || Node(image.Leader).Partition(partition) is not { } target)
        {
            return;
        }

        var highWatermark = target.HighWatermark;
        var from = target.LogStartOffset + (highWatermark > target.LogStartOffset ? _random.NextInt64(highWatermark - target.LogStartOffset) : 0);
        var result = target.Read(new PartitionFetch(from, 256, image.LeaderEpoch));
        if (result.Error != ErrorCode.None)
        {
            Trace("consume", $"p{partition} from {from} at {image.Leader} ({viewName}): {result.Error}");
            return;
        }

        Node(image.Leader).SpokeFromDisk = true;
        var records = result.Records.IsEmpty ? [] : SimRecords.Decode(result.Records.ToArray());
        foreach (var (offset, value) in records)
        {
            Consumed(partition, offset, value);
        }

        Trace("consume", $"p{partition} from {from} at {image.Leader} epoch {image.LeaderEpoch} ({viewName}): {records.Count} record(s), high watermark {result.HighWatermark}");
    }

    /// <summary>
    /// A follower's fetch: sent with its fetch position (what it holds durably) and the leader epoch it knows, served by
    /// the leader's <see cref="Partition.ReadForFollower"/> as the Fetch handler serves it; the answer travels back and
    /// is applied now or in a later step. Lost when either side is isolated or the leader is paused.
    /// </summary>
    private void Fetch(SimNode follower, int partition)
    {
        var local = follower.Partition(partition)!;
        var leadership = local.Leadership;
        var leader = Node(leadership.LeaderId);
        var (fetchOffset, lastFetchedEpoch) = local.FollowerFetchPosition;
        var what = $"p{partition} {follower.Id}<-{leader.Id} from {fetchOffset} (last epoch {lastFetchedEpoch}, epoch {leadership.LeaderEpoch})";
        if (follower.Isolated || leader.Isolated || !leader.CanAct)
        {
            Trace("fetch", $"{what}: lost (network or paused leader)");
            return;
        }

        if (_options.Break != SimulationBreak.FollowerReportsBeforeDurable)
        {
            follower.SpokeFromDisk = true;
        }

        LeaderFetchAnswer answer;
        var (served, unavailable) = leader.Replicas.GetPartitionOrError(new TopicPartition(Topic, partition));
        if (served is null)
        {
            answer = new LeaderFetchAnswer(unavailable, Memory<byte>.Empty, -1, -1, null);
        }
        else
        {
            var result = served.ReadForFollower(follower.Id, fetchOffset, lastFetchedEpoch, leadership.LeaderEpoch, 128 + _random.Next(1024));
            answer = new LeaderFetchAnswer(result.Error, result.Records.IsEmpty ? Memory<byte>.Empty : result.Records.ToArray(), result.HighWatermark, result.LogStartOffset, result.Diverging);
            leader.SpokeFromDisk = true;
        }

        var message = new FetchAnswerMessage(follower.Id, follower.Generation, leader.Id, partition, leadership.LeaderEpoch, fetchOffset, answer);
        follower.FetchesInFlight.Add(partition);
        Trace("fetch", $"{what}: {answer.Error}, {answer.Records.Length} bytes, hw {answer.HighWatermark}{(answer.Diverging is { } d ? $", diverging epoch {d.Epoch} ends {d.EndOffset}" : "")}");
        if (_random.Next(2) == 0)
        {
            DeliverFetchAnswer(message, lose: false);
        }
        else
        {
            _fetchAnswers.Add(message);
        }
    }

    /// <summary>Applies a fetch answer on its follower through <see cref="Partition.ApplyLeaderAnswer"/> — unless it is lost on the way.</summary>
    private void DeliverFetchAnswer(FetchAnswerMessage message, bool lose)
    {
        _fetchAnswers.Remove(message);
        var follower = Node(message.FollowerId);
        if (follower.Generation != message.FollowerGeneration)
        {
            return;
        }

        follower.FetchesInFlight.Remove(message.Partition);
        var what = $"p{message.Partition} {follower.Id}<-{message.LeaderId} from {message.FetchOffset}";
        if (lose || follower.Isolated)
        {
            _faults++;
            Trace("fetch answer", $"{what}: lost");
            return;
        }

        if (follower.Partition(message.Partition) is not { } partition)
        {
            Trace("fetch answer", $"{what}: partition not hosted any more");
            return;
        }

        var outcome = partition.ApplyLeaderAnswer(message.LeaderId, message.LeaderEpoch, message.FetchOffset, message.Answer);
        if (outcome.Durable is { } durable)
        {
            follower.PendingFollowerAppends.Add(durable);
        }

        Trace("fetch answer", $"{what}: {outcome.Action} (log end {outcome.PreviousLogEndOffset} -> {outcome.Offset}){(outcome.Failure is { } e ? $" {e.Message}" : "")}");
    }

    /// <summary>Delivers the node's next <paramref name="count"/> committed metadata batches, one delta each, then maybe resumes its leadership.</summary>
    private void DeliverMetadata(SimNode node, int count)
    {
        var batches = _metadataLog.Batches;
        var delivered = 0;
        while (delivered < count && node.AppliedBatches < batches.Count)
        {
            var before = node.Image;
            var after = before.Apply(batches[node.AppliedBatches]);
            node.Replicas.ApplyDelta(before, after, _ => _config);
            node.Image = after;
            node.AppliedBatches++;
            delivered++;
            Quiesce();
        }

        Trace("metadata", $"node {node.Id} now at offset {node.Image.Offset} ({delivered} batch(es))");
        MaybeResume(node);
    }

    /// <summary>
    /// Delivers an ISR proposal to the controller (as the broker's local sender does) and its answer back to the leader;
    /// or loses the request, or the answer after the controller committed it (both are REQUEST_TIMED_OUT to the leader).
    /// </summary>
    private void DeliverProposal(ProposalMessage message, int dice)
    {
        message.From.Pending.Remove(message);
        var from = Node(message.From.NodeId);
        if (from.Isolated || dice == 0)
        {
            _faults++;
            Trace("proposal", $"{message.Describe()}: request lost");
            message.Answer.SetResult(AlterPartitionOutcome.Failed(ErrorCode.RequestTimedOut));
            return;
        }

        var outcome = SimAlterPartitionSender.Submit(_controller, message.Proposal);
        if (dice == 1)
        {
            _faults++;
            Trace("proposal", $"{message.Describe()}: controller answered {outcome.Error}, answer lost");
            message.Answer.SetResult(AlterPartitionOutcome.Failed(ErrorCode.RequestTimedOut));
            return;
        }

        message.Answer.SetResult(outcome);
        Trace("proposal", $"{message.Describe()}: {outcome.Error} ISR [{string.Join(",", outcome.Isr)}] epochs {outcome.LeaderEpoch}/{outcome.PartitionEpoch}");
    }

    private void AdvanceTime(int milliseconds)
    {
        _time.Advance(TimeSpan.FromMilliseconds(milliseconds));
        Trace("time", $"+{milliseconds} ms");
    }

    /// <summary>
    /// The controller's broker reconciliation (as <c>ControllerService</c> does it over the registry): fences every
    /// broker whose session ended, then accepts every live registration the image lacks.
    /// </summary>
    private void ReconcileBrokers()
    {
        var image = _controller.Current;
        foreach (var broker in image.Brokers.Values.Where(b => !b.Fenced).OrderBy(b => b.NodeId).ToList())
        {
            if (!(_sessions.TryGetValue(broker.NodeId, out var session) && session.Alive && session.Incarnation == broker.IncarnationId))
            {
                var (error, _) = Sync(_controller.FenceBrokerAsync(broker.NodeId, broker.IncarnationId, CancellationToken.None));
                Trace("controller", $"fences broker {broker.NodeId}: {error}; {Describe()}");
            }
        }

        foreach (var (id, session) in _sessions.Where(s => s.Value.Alive).OrderBy(s => s.Key).ToList())
        {
            var registration = new BrokerRegistration(id, session.Incarnation, [new Configuration.Listener("PLAINTEXT", $"node{id}", 9092)], null);
            if (!(_controller.Current.Brokers.TryGetValue(id, out var known) && known.Equals(registration)))
            {
                var (error, _) = Sync(_controller.AcceptRegistrationAsync(registration, rebalanceToPreferred: true, CancellationToken.None));
                Trace("controller", $"accepts broker {id}: {error}; {Describe()}");
            }
        }
    }

    /// <summary>The node registers its session (a new incarnation after a restart); it leads again once its image caught up.</summary>
    private void Register(SimNode node)
    {
        _sessions[node.Id] = (node.Incarnation, true);
        node.NeedsRegistration = false;
        node.ResumeAtOffset = _metadataLog.CommittedOffset;
        Trace("session", $"node {node.Id} registers (generation {node.Generation}); resumes leading at metadata offset {node.ResumeAtOffset}");
        MaybeResume(node);
    }

    /// <summary>The node learns its session ended: it stops leading until it has registered again.</summary>
    private void NoticeSessionLost(SimNode node)
    {
        node.Replicas.SuspendLeadership("the session was lost");
        node.NeedsRegistration = true;
        node.ResumeAtOffset = null;
        Trace("session", $"node {node.Id} notices its session was lost and suspends leadership");
    }

    private void MaybeResume(SimNode node)
    {
        if (node.ResumeAtOffset is { } offset && node.Image.Offset >= offset && IsSessionAlive(node)
            && node.Image.Brokers.TryGetValue(node.Id, out var registration) && !registration.Fenced && registration.IncarnationId == node.Incarnation)
        {
            node.ResumeAtOffset = null;
            node.Replicas.ResumeLeadership();
            Trace("session", $"node {node.Id} resumes leadership at metadata offset {node.Image.Offset}");
        }
    }

    /// <summary>The session of a crashed, paused or isolated node expires (its lease runs out).</summary>
    private void ExpireSession(SimNode node)
    {
        _faults++;
        _sessions[node.Id] = _sessions[node.Id] with { Alive = false };
        Trace("FAULT session", $"the session of node {node.Id} expires");
    }

    /// <summary>
    /// Power cut and restart: the node keeps what its disk made durable up to a crash point it may have (see
    /// <see cref="SimNode"/>), starts a new process over it (logs recovered), replays the committed metadata, and must
    /// register again with a new incarnation — after its old session has expired.
    /// </summary>
    private void Crash(SimNode node)
    {
        _faults++;
        var cut = node.CrashCuts[_random.Next(node.CrashCuts.Count)];
        var was = Describe();
        var directory = Path.Combine(_root, $"node{node.Id}-gen{node.Generation + 1}");
        node.Disk.Materialize(cut, directory);
        node.Dispose();
        try
        {
            Directory.Delete(node.Directory, recursive: true);
        }
        catch (IOException)
        {
            // Removed with the simulation's root.
        }

        var restarted = SimNode.Start(node.Id, node.Generation + 1, NewGuid(), directory, _time, _config, LagMax, ClusterId, ControllerId);
        restarted.Isolated = node.Isolated;
        restarted.Sender.Submitted = node.Sender.Submitted;
        _nodes[node.Id - 1] = restarted;
        _fetchAnswers.RemoveAll(a => a.FollowerId == node.Id);
        var before = restarted.Image;
        var after = _metadataLog.Batches.Aggregate(before, (image, batch) => image.Apply(batch));
        restarted.Replicas.ApplyDelta(before, after, _ => _config);
        restarted.Image = after;
        restarted.AppliedBatches = _metadataLog.Batches.Count;
        Trace("FAULT crash", $"node {node.Id} loses power (disk cut at event {cut} of {node.Disk.Events}) and restarts as generation {restarted.Generation}; before: {was}; after: {Describe()}");
    }

    private void Pause(SimNode node)
    {
        _faults++;
        node.Paused = true;
        Trace("FAULT pause", $"node {node.Id} stops taking steps");
    }

    private void Wake(SimNode node)
    {
        node.Paused = false;
        Trace("wake", $"node {node.Id} runs again with its view at metadata offset {node.Image.Offset}");
    }

    private void Isolate(SimNode node)
    {
        _faults++;
        node.Isolated = true;
        Trace("FAULT isolate", $"node {node.Id} is cut off from the others and the controller");
    }

    private void Heal(SimNode node)
    {
        node.Isolated = false;
        Trace("heal", $"node {node.Id} is reachable again");
    }

    /// <summary>Where a client sends a request: the leader as a random node's image names it (stale or not), or the controller's.</summary>
    private (string Name, PartitionImage? Partition) ClientView(int partition)
    {
        var choice = _random.Next(NodeCount + 1);
        var image = choice == NodeCount ? _controller.Current : _nodes[choice].Image;
        var name = choice == NodeCount ? "controller's view" : $"node {choice + 1}'s view";
        return (name, image.TryGetPartition(new TopicPartition(Topic, partition), out var found) ? found : null);
    }

    private static string ErrorOf(Exception? exception) =>
        exception?.InnerException is LogException e ? $"{e.ErrorCode}" : exception?.InnerException?.GetType().Name ?? "?";
}
