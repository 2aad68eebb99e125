using System.Collections.Immutable;
using Wharf.Common;

namespace Wharf.Metadata;

/// <summary>
/// One partition of an AlterPartition request: the ISR its leader proposes, at the leader epoch and partition epoch
/// the leader holds (KIP-497).
/// </summary>
public sealed record IsrProposal(Guid TopicId, int Partition, int LeaderEpoch, int PartitionEpoch, ImmutableArray<int> NewIsr);

/// <summary>
/// The controller's answer for one <see cref="IsrProposal"/>: NONE (or NEW_LEADER_ELECTED, when completing a
/// reassignment moved the leadership) with the partition's committed state, or an error with -1 epochs and no ISR.
/// </summary>
public sealed record AlterPartitionResult(
    Guid TopicId,
    int Partition,
    ErrorCode Error,
    string? ErrorMessage,
    int Leader,
    int LeaderEpoch,
    int PartitionEpoch,
    ImmutableArray<int> Isr)
{
    internal static AlterPartitionResult Failed(IsrProposal proposal, ErrorCode error, string? message) =>
        new(proposal.TopicId, proposal.Partition, error, message, -1, -1, -1, []);

    internal static AlterPartitionResult Of(IsrProposal proposal, PartitionImage partition, ErrorCode error = ErrorCode.None) =>
        new(proposal.TopicId, proposal.Partition, error, null, partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch, partition.Isr);
}

/// <summary>
/// One partition of AlterPartitionReassignments: move it to <see cref="Replicas"/>, or, when that is null, cancel the
/// reassignment in progress.
/// </summary>
public sealed record ReassignmentRequest(string Topic, int Partition, IReadOnlyList<int>? Replicas);

/// <summary>The outcome for one partition of AlterPartitionReassignments.</summary>
public sealed record ReassignmentResult(string Topic, int Partition, ErrorCode Error, string? ErrorMessage);

/// <summary>A reassignment in progress, as ListPartitionReassignments reports it.</summary>
public sealed record OngoingReassignment(string Topic, int Partition, ImmutableArray<int> Replicas, ImmutableArray<int> AddingReplicas, ImmutableArray<int> RemovingReplicas);

/// <summary>ListPartitionReassignments: the reassignments in progress, or a top-level error (no partitions then).</summary>
public sealed record ListReassignmentsResult(ErrorCode Error, string? ErrorMessage, IReadOnlyList<OngoingReassignment> Reassignments);
