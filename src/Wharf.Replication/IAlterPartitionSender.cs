using System.Collections.Immutable;
using Wharf.Common;

namespace Wharf.Replication;

/// <summary>
/// How a partition leader asks the active controller to change its in-sync replicas (Kafka's
/// <c>AlterPartitionManager</c>, API AlterPartition): the leader proposes the new ISR at the leader epoch and partition
/// epoch it holds; the controller accepts only from the current leader at the current epochs, writes the change to
/// the metadata log and answers with the partition's new state. A leader has at most one proposal in flight per
/// partition.
/// </summary>
public interface IAlterPartitionSender
{
    /// <summary>
    /// Proposes <see cref="AlterPartitionProposal.NewIsr"/>; completes when the controller has committed it (or refused
    /// it). Never throws for a refusal or an unreachable controller: those are <see cref="AlterPartitionOutcome.Error"/>
    /// (NOT_CONTROLLER / REQUEST_TIMED_OUT when it could not be reached, and the leader retries later).
    /// </summary>
    Task<AlterPartitionOutcome> SubmitAsync(AlterPartitionProposal proposal, CancellationToken cancellationToken);
}

/// <summary>A leader's proposed ISR for one partition, at the epochs it holds.</summary>
/// <param name="TopicPartition">The partition.</param>
/// <param name="TopicId">Its topic's id (AlterPartition v2+ names topics by id).</param>
/// <param name="LeaderId">The proposing leader (this broker).</param>
/// <param name="LeaderEpoch">The leader epoch the leader holds.</param>
/// <param name="PartitionEpoch">The partition epoch the leader holds.</param>
/// <param name="NewIsr">The proposed in-sync replicas.</param>
public readonly record struct AlterPartitionProposal(TopicPartition TopicPartition, Guid TopicId, int LeaderId, int LeaderEpoch, int PartitionEpoch, ImmutableArray<int> NewIsr);

/// <summary>
/// The controller's answer to an <see cref="AlterPartitionProposal"/>: NONE with the partition's committed state
/// (leader epoch, partition epoch, ISR), or an error — FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER (a newer leader
/// exists), INVALID_UPDATE_VERSION (the partition epoch moved: wait for the metadata and retry), INELIGIBLE_REPLICA (a
/// proposed member is fenced or not a replica), UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER / REQUEST_TIMED_OUT (not
/// reached; retry).
/// </summary>
public readonly record struct AlterPartitionOutcome(ErrorCode Error, int LeaderEpoch, int PartitionEpoch, ImmutableArray<int> Isr)
{
    public static AlterPartitionOutcome Failed(ErrorCode error) => new(error, -1, -1, []);
}
