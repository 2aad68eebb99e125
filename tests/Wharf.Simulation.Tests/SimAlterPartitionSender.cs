using Wharf.Common;
using Wharf.Metadata;
using Wharf.Replication;

namespace Wharf.Simulation.Tests;

/// <summary>
/// A node's way to the controller in the simulation: a proposal becomes a message that waits in
/// <see cref="Pending"/> until the simulation delivers it (to <see cref="Controller.AlterPartitionAsync"/>, answering
/// as the broker's local <c>AlterPartitionSender</c> does), loses the request or loses the answer. The answer
/// completes the partition's task on the simulation's thread (no asynchronous continuation), so the partition applies
/// it within the step.
/// </summary>
internal sealed class SimAlterPartitionSender(int nodeId, int generation) : IAlterPartitionSender
{
    public int NodeId { get; } = nodeId;

    public int Generation { get; } = generation;

    public List<ProposalMessage> Pending { get; } = [];

    /// <summary>Called as each proposal is sent (the simulation traces it).</summary>
    public Action<ProposalMessage>? Submitted { get; set; }

    public Task<AlterPartitionOutcome> SubmitAsync(AlterPartitionProposal proposal, CancellationToken cancellationToken)
    {
        var message = new ProposalMessage(this, proposal, new TaskCompletionSource<AlterPartitionOutcome>());
        Pending.Add(message);
        Submitted?.Invoke(message);
        return message.Answer.Task;
    }

    /// <summary>The controller's answer to <paramref name="proposal"/>, mapped as the broker's local sender maps it.</summary>
    public static AlterPartitionOutcome Submit(Controller controller, AlterPartitionProposal proposal)
    {
        var isrProposal = new IsrProposal(proposal.TopicId, proposal.TopicPartition.Partition, proposal.LeaderEpoch, proposal.PartitionEpoch, proposal.NewIsr);
        var call = controller.AlterPartitionAsync(proposal.LeaderId, [isrProposal], CancellationToken.None);
        if (!call.IsCompleted)
        {
            throw new InvalidOperationException("The controller over an in-memory log answers synchronously; the simulation relies on it.");
        }

        var result = call.GetAwaiter().GetResult()[0];
        return result.Error is not ErrorCode.None and not ErrorCode.NewLeaderElected
            ? AlterPartitionOutcome.Failed(result.Error)
            : new AlterPartitionOutcome(result.Error, result.LeaderEpoch, result.PartitionEpoch, result.Isr);
    }
}

/// <summary>An ISR proposal on its way to the controller; <see cref="Answer"/> completes the leader's wait.</summary>
internal sealed record ProposalMessage(SimAlterPartitionSender From, AlterPartitionProposal Proposal, TaskCompletionSource<AlterPartitionOutcome> Answer)
{
    public string Describe() =>
        $"{From.NodeId}: {Proposal.TopicPartition} ISR [{string.Join(",", Proposal.NewIsr)}] at epochs {Proposal.LeaderEpoch}/{Proposal.PartitionEpoch}";
}
