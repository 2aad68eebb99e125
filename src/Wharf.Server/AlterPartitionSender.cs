using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Replication;
using Wharf.Server.Forwarding;

namespace Wharf.Server;

/// <summary>
/// The broker's <see cref="IAlterPartitionSender"/>: a partition leader's ISR proposal goes to this node's
/// <see cref="Controller"/> when this node is the active controller (or none is known: the controller then answers
/// NOT_CONTROLLER), else to the active controller as an AlterPartition request (v3, broker epochs -1) through
/// <see cref="ControllerForwarder"/>. A controller that cannot be reached (two failed attempts, or no answer within the
/// forwarder's request timeout) is NOT_CONTROLLER: the leader retries once the metadata names a controller.
/// Thread-safety: safe from any thread; holds no state of its own.
/// </summary>
public sealed class AlterPartitionSender(Controller controller, ControllerForwarder forwarder, ILogger<AlterPartitionSender> logger) : IAlterPartitionSender
{
    /// <summary>The AlterPartition version sent to another controller (the newest the handler serves).</summary>
    private const short ForwardedVersion = 3;

    public async Task<AlterPartitionOutcome> SubmitAsync(AlterPartitionProposal proposal, CancellationToken cancellationToken)
    {
        if (forwarder.ShouldForward)
        {
            return await SubmitRemotelyAsync(proposal, cancellationToken).ConfigureAwait(false);
        }

        var isrProposal = new IsrProposal(proposal.TopicId, proposal.TopicPartition.Partition, proposal.LeaderEpoch, proposal.PartitionEpoch, proposal.NewIsr);
        var result = (await controller.AlterPartitionAsync(proposal.LeaderId, [isrProposal], cancellationToken).ConfigureAwait(false))[0];
        if (result.Error is not ErrorCode.None and not ErrorCode.NewLeaderElected)
        {
            logger.LogDebug("ISR change of {Partition} refused: {Error} {Message}", proposal.TopicPartition, result.Error, result.ErrorMessage);
            return AlterPartitionOutcome.Failed(result.Error);
        }

        return new AlterPartitionOutcome(result.Error, result.LeaderEpoch, result.PartitionEpoch, result.Isr);
    }

    private async Task<AlterPartitionOutcome> SubmitRemotelyAsync(AlterPartitionProposal proposal, CancellationToken cancellationToken)
    {
        var request = new AlterPartitionRequest { BrokerId = proposal.LeaderId, BrokerEpoch = -1 };
        request.Topics.Add(new()
        {
            TopicId = proposal.TopicId,
            Partitions =
            [
                new()
                {
                    PartitionIndex = proposal.TopicPartition.Partition,
                    LeaderEpoch = proposal.LeaderEpoch,
                    PartitionEpoch = proposal.PartitionEpoch,
                    NewIsrWithEpochs = [.. proposal.NewIsr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = -1 })],
                },
            ],
        });

        AlterPartitionResponse response;
        try
        {
            response = await forwarder.ForwardAsync<AlterPartitionRequest, AlterPartitionResponse>(request, ForwardedVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            logger.LogInformation("ISR change of {Partition} not sent: the controller could not be reached ({Message})", proposal.TopicPartition, e.Message);
            return AlterPartitionOutcome.Failed(ErrorCode.NotController);
        }

        return Outcome(response, proposal);
    }

    /// <summary>The answer for <paramref name="proposal"/>'s partition in <paramref name="response"/>.</summary>
    internal static AlterPartitionOutcome Outcome(AlterPartitionResponse response, AlterPartitionProposal proposal)
    {
        if (response.ErrorCode != 0)
        {
            return AlterPartitionOutcome.Failed((ErrorCode)response.ErrorCode);
        }

        var partition = response.Topics.Where(t => t.TopicId == proposal.TopicId)
            .SelectMany(t => t.Partitions)
            .FirstOrDefault(p => p.PartitionIndex == proposal.TopicPartition.Partition);
        if (partition is null)
        {
            return AlterPartitionOutcome.Failed(ErrorCode.UnknownServerError);
        }

        var error = (ErrorCode)partition.ErrorCode;
        return error is ErrorCode.None or ErrorCode.NewLeaderElected
            ? new AlterPartitionOutcome(error, partition.LeaderEpoch, partition.PartitionEpoch, [.. partition.Isr])
            : AlterPartitionOutcome.Failed(error);
    }
}
