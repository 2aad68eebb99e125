using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Metadata;

/// <summary>AlterPartitionReassignments and ListPartitionReassignments (KIP-455): moving partitions between brokers.</summary>
public sealed partial class Controller
{
    /// <summary>
    /// Starts, replaces or cancels reassignments, one PartitionRecord each, committed in one batch. Per partition:
    /// unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; a target that is empty, names a broker twice or one that
    /// is not registered: INVALID_REPLICA_ASSIGNMENT; a cancel (null replicas) with none in progress:
    /// NO_REASSIGNMENT_IN_PROGRESS; undoing a reassignment whose in-sync replicas are all new ones needs an unclean
    /// election: INVALID_REPLICA_ASSIGNMENT unless the topic allows it. A target starts from the original replicas (an
    /// earlier reassignment of the partition is replaced); see <see cref="PartitionReassignment"/> for the replica sets,
    /// completion and leader election. A reassignment whose new replicas are already in sync (or that only removes
    /// replicas) completes at once. On a node that is not the active controller every partition is NOT_CONTROLLER.
    /// </summary>
    public async Task<IReadOnlyList<ReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<ReassignmentRequest> requests, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return requests.Select(r => new ReassignmentResult(r.Topic, r.Partition, ErrorCode.NotController, notController)).ToArray();
            }

            var results = new ReassignmentResult[requests.Count];
            var working = Current;
            var unclean = UncleanElection(working);
            var records = new List<MetadataRecord>();
            var accepted = new List<int>();
            for (var i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                var (error, message, record) = PlanReassignment(working, request, unclean);
                results[i] = new ReassignmentResult(request.Topic, request.Partition, error, message);
                if (record is not null)
                {
                    working = working.Apply(record);
                    records.Add(record);
                    accepted.Add(i);
                    _logger.LogInformation("Reassignment of {Topic}-{Partition}: replicas [{Replicas}], adding [{Adding}], removing [{Removing}], leader {Leader}",
                        request.Topic, request.Partition, string.Join(",", record.Replicas), string.Join(",", record.AddingReplicas),
                        string.Join(",", record.RemovingReplicas), record.Leader);
                }
            }

            await CommitAcceptedAsync(records, accepted, results, (i, error, message) => results[i] with { Error = error, ErrorMessage = message }).ConfigureAwait(false);

            return results;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// ListPartitionReassignments: the reassignments in progress of the named partitions, or of every partition when
    /// <paramref name="partitions"/> is null (topic → partition indexes). An unknown topic is a top-level
    /// UNKNOWN_TOPIC_OR_PARTITION; a partition that exists but is not being reassigned is left out. Answered from the
    /// image of the active controller only (NOT_CONTROLLER elsewhere): the broker forwards the request to it.
    /// </summary>
    public ListReassignmentsResult ListPartitionReassignments(IReadOnlyList<KeyValuePair<string, IReadOnlyList<int>>>? partitions)
    {
        if (NotControllerError() is { } notController)
        {
            return new ListReassignmentsResult(ErrorCode.NotController, notController, []);
        }

        var image = Current;
        var ongoing = new List<OngoingReassignment>();
        static OngoingReassignment Describe(TopicImage topic, PartitionImage p) =>
            new(topic.Name, p.Partition, p.Replicas, p.AddingReplicas, p.RemovingReplicas);

        if (partitions is null)
        {
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                ongoing.AddRange(topic.Partitions.Values.Where(p => p.IsReassigning).Select(p => Describe(topic, p)));
            }

            return new ListReassignmentsResult(ErrorCode.None, null, ongoing);
        }

        foreach (var (name, indexes) in partitions)
        {
            if (!image.TryGetTopic(name, out var topic))
            {
                return new ListReassignmentsResult(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.", []);
            }

            foreach (var index in indexes.Distinct())
            {
                if (topic.Partitions.TryGetValue(index, out var partition) && partition.IsReassigning)
                {
                    ongoing.Add(Describe(topic, partition));
                }
            }
        }

        return new ListReassignmentsResult(ErrorCode.None, null, ongoing);
    }

    private static (ErrorCode Error, string? Message, PartitionRecord? Record) PlanReassignment(MetadataImage image, ReassignmentRequest request, Func<TopicImage, bool> uncleanElection)
    {
        var name = $"{request.Topic}-{request.Partition}";
        if (!image.TryGetTopic(request.Topic, out var topic) || !topic.Partitions.TryGetValue(request.Partition, out var partition))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"Partition {name} does not exist.", null);
        }

        if (request.Replicas is null && !partition.IsReassigning)
        {
            return (ErrorCode.NoReassignmentInProgress, $"No reassignment of {name} is in progress.", null);
        }

        if (request.Replicas is not null && PartitionReassignment.Validate(image, request.Replicas) is { } invalid)
        {
            return (ErrorCode.InvalidReplicaAssignment, invalid, null);
        }

        var (reverted, unclean) = PartitionReassignment.Revert(partition);
        if (unclean && !uncleanElection(topic))
        {
            return (ErrorCode.InvalidReplicaAssignment,
                $"Undoing the reassignment in progress of {name} needs an unclean leader election (no original replica is in sync), and unclean.leader.election.enable is false.", null);
        }

        var proposed = request.Replicas is null ? reverted : PartitionReassignment.Start(reverted, [.. request.Replicas]);
        if (proposed.Equals(partition))
        {
            return (ErrorCode.None, null, null);
        }

        return (ErrorCode.None, null, PartitionReassignment.Finish(image, partition, proposed).ToRecord(topic.TopicId));
    }
}
