using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Metadata;

/// <summary>AlterPartition: partition leaders change their in-sync replicas through the controller (KIP-497).</summary>
public sealed partial class Controller
{
    /// <summary>
    /// Applies the ISR changes broker <paramref name="brokerId"/> proposes as the leader of each partition. Per
    /// partition, in this order:
    /// <list type="bullet">
    /// <item>unknown topic id: UNKNOWN_TOPIC_ID; unknown partition: UNKNOWN_TOPIC_OR_PARTITION;</item>
    /// <item>a leader or partition epoch newer than this controller's image: NOT_CONTROLLER (this controller is behind
    /// and may be deposed: the leader retries, possibly with another controller);</item>
    /// <item>an older leader epoch: FENCED_LEADER_EPOCH; the requester is not the leader: NOT_LEADER_OR_FOLLOWER;
    /// an older partition epoch: INVALID_UPDATE_VERSION (the leader waits for the newer metadata);</item>
    /// <item>a proposed ISR that is empty, names a broker twice or one that is not a replica, or leaves out the leader:
    /// INVALID_REQUEST; one that names an unregistered or fenced broker: INELIGIBLE_REPLICA;</item>
    /// <item>the ISR it already has: NONE with the current state, nothing written;</item>
    /// <item>otherwise a PartitionRecord with the new ISR and partition epoch + 1 (completing a reassignment that is
    /// now in sync, see <see cref="PartitionReassignment.Finish"/>) is committed before the answer, which carries the new
    /// state — NEW_LEADER_ELECTED when that completion moved the leadership away from the requester.</item>
    /// </list>
    /// Broker epochs are not tracked (a registration's incarnation id plays their part), so none is checked. On a node
    /// that is not the active controller every partition is NOT_CONTROLLER.
    /// </summary>
    public async Task<IReadOnlyList<AlterPartitionResult>> AlterPartitionAsync(int brokerId, IReadOnlyList<IsrProposal> proposals, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return proposals.Select(p => AlterPartitionResult.Failed(p, ErrorCode.NotController, notController)).ToArray();
            }

            var results = new AlterPartitionResult[proposals.Count];
            var working = Current;
            var records = new List<MetadataRecord>();
            var accepted = new List<int>();
            for (var i = 0; i < proposals.Count; i++)
            {
                var proposal = proposals[i];
                var (error, message, partition) = ValidateIsrProposal(working, brokerId, proposal);
                if (error != ErrorCode.None)
                {
                    results[i] = AlterPartitionResult.Failed(proposal, error, message);
                    continue;
                }

                if (partition!.Isr.Length == proposal.NewIsr.Length && partition.Isr.All(proposal.NewIsr.Contains))
                {
                    results[i] = AlterPartitionResult.Of(proposal, partition);
                    continue;
                }

                var changed = PartitionReassignment.Finish(working, partition, partition with { Isr = proposal.NewIsr });
                var record = changed.ToRecord(proposal.TopicId);
                working = working.Apply(record);
                records.Add(record);
                accepted.Add(i);
                results[i] = AlterPartitionResult.Of(proposal, changed, changed.Leader == brokerId ? ErrorCode.None : ErrorCode.NewLeaderElected);
                _logger.LogInformation("ISR of {Topic}-{Partition} changes from [{Before}] to [{After}] at partition epoch {Epoch} (asked by broker {Broker})",
                    working.TopicsById[proposal.TopicId].Name, proposal.Partition, string.Join(",", partition.Isr), string.Join(",", changed.Isr), changed.PartitionEpoch, brokerId);
            }

            await CommitAcceptedAsync(records, accepted, results, (i, error, message) => AlterPartitionResult.Failed(proposals[i], error, message)).ConfigureAwait(false);

            return results;
        }
        finally
        {
            _writer.Release();
        }
    }

    private static (ErrorCode Error, string? Message, PartitionImage? Partition) ValidateIsrProposal(MetadataImage image, int brokerId, IsrProposal proposal)
    {
        if (!image.TryGetTopic(proposal.TopicId, out var topic))
        {
            return (ErrorCode.UnknownTopicId, $"Topic id {proposal.TopicId} does not exist.", null);
        }

        var name = $"{topic.Name}-{proposal.Partition}";
        if (!topic.Partitions.TryGetValue(proposal.Partition, out var partition))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"Partition {name} does not exist.", null);
        }

        if (proposal.LeaderEpoch > partition.LeaderEpoch || proposal.PartitionEpoch > partition.PartitionEpoch)
        {
            return (ErrorCode.NotController, $"{name} is at leader epoch {proposal.LeaderEpoch}, partition epoch {proposal.PartitionEpoch} for its leader, newer than this controller's {partition.LeaderEpoch}, {partition.PartitionEpoch}.", null);
        }

        if (proposal.LeaderEpoch < partition.LeaderEpoch)
        {
            return (ErrorCode.FencedLeaderEpoch, $"{name} is at leader epoch {partition.LeaderEpoch}, not {proposal.LeaderEpoch}.", null);
        }

        if (partition.Leader != brokerId)
        {
            return (ErrorCode.NotLeaderOrFollower, $"Broker {brokerId} does not lead {name}; its leader is {partition.Leader}.", null);
        }

        if (proposal.PartitionEpoch < partition.PartitionEpoch)
        {
            return (ErrorCode.InvalidUpdateVersion, $"{name} is at partition epoch {partition.PartitionEpoch}, not {proposal.PartitionEpoch}.", null);
        }

        var isr = proposal.NewIsr.IsDefault ? ImmutableArray<int>.Empty : proposal.NewIsr;
        if (isr.Distinct().Count() != isr.Length || isr.Any(r => !partition.Replicas.Contains(r)))
        {
            return (ErrorCode.InvalidRequest, $"The proposed ISR [{string.Join(", ", isr)}] of {name} names a broker twice or one that is not among its replicas [{string.Join(", ", partition.Replicas)}].", null);
        }

        if (!isr.Contains(partition.Leader))
        {
            return (ErrorCode.InvalidRequest, $"The proposed ISR [{string.Join(", ", isr)}] of {name} leaves out its leader {partition.Leader}.", null);
        }

        if (isr.FirstOrDefault(r => !image.IsLive(r), -1) is var ineligible and not -1)
        {
            return (ErrorCode.IneligibleReplica, $"Broker {ineligible} in the proposed ISR of {name} is {(image.Brokers.ContainsKey(ineligible) ? "fenced" : "not registered")}.", null);
        }

        return (ErrorCode.None, null, partition);
    }
}
