using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Protocol.Messages;

namespace Wharf.Cli.Groups;

/// <summary>A share group as ListGroups names it: id and lower-case state (<c>empty</c>, <c>stable</c>, ...).</summary>
internal sealed record ShareGroupListing(string Group, string State);

/// <summary>A share group's description, its start offsets and lag per partition (lag -1 when not known).</summary>
internal sealed record ShareGroupState(int Coordinator, ShareGroupDescribeResponse.DescribedGroup Described, IReadOnlyList<(string Topic, int Partition, long StartOffset, long Lag)> Offsets);

/// <summary>
/// Share groups (KIP-932) over the Kafka protocol itself, because librdkafka's AdminClient cannot list their state or
/// describe them: ListGroups v5 filtered to type <c>share</c> on every broker, and FindCoordinator v4 then
/// ShareGroupDescribe v1 and DescribeShareGroupOffsets v1 (which carries the lag) at the group's coordinator.
/// Thread-safety: stateless.
/// </summary>
internal static class ShareGroups
{
    private const short ListGroupsVersion = 5;
    private const short FindCoordinatorVersion = 4;
    private const short DescribeVersion = 1;
    private const short OffsetsVersion = 1;
    private const short GroupIdNotFound = 69;

    /// <summary>Every broker's share groups; null when a broker cannot answer ListGroups v5 (an older cluster).</summary>
    public static async Task<List<ShareGroupListing>?> ListAsync(IAdminClient admin, CancellationToken cancellationToken)
    {
        var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = Admin.Timeout });
        var groups = new List<ShareGroupListing>();
        foreach (var node in cluster.Nodes)
        {
            try
            {
                await using var connection = await KafkaWire.ConnectAsync(node.Host, node.Port, cancellationToken);
                var response = await KafkaWire.SendAsync<ListGroupsRequest, ListGroupsResponse>(
                    connection, new ListGroupsRequest { TypesFilter = ["share"] }, ListGroupsVersion, cancellationToken);
                if (response.ErrorCode != 0)
                {
                    return null;
                }

                groups.AddRange(response.Groups.Select(g => new ShareGroupListing(g.GroupId, g.GroupState.ToLowerInvariant())));
            }
            catch (CliException)
            {
                return null;
            }
        }

        return groups;
    }

    /// <summary>The share group <paramref name="group"/>, or null when there is no share group of that name.</summary>
    public static async Task<ShareGroupState?> DescribeAsync(string bootstrap, string group, CancellationToken cancellationToken)
    {
        FindCoordinatorResponse.Coordinator coordinator;
        await using (var any = await KafkaWire.ConnectBootstrapAsync(bootstrap, cancellationToken))
        {
            var found = await KafkaWire.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(
                any, new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [group] }, FindCoordinatorVersion, cancellationToken);
            coordinator = found.Coordinators.Single();
            if (coordinator.ErrorCode != 0)
            {
                throw new CliException($"group '{group}': no coordinator ({coordinator.ErrorMessage ?? $"error {coordinator.ErrorCode}"})");
            }
        }

        await using var connection = await KafkaWire.ConnectAsync(coordinator.Host, coordinator.Port, cancellationToken);
        var described = await KafkaWire.SendAsync<ShareGroupDescribeRequest, ShareGroupDescribeResponse>(
            connection, new ShareGroupDescribeRequest { GroupIds = [group] }, DescribeVersion, cancellationToken);
        var answer = described.Groups.Single();
        if (answer.ErrorCode == GroupIdNotFound)
        {
            return null;
        }

        if (answer.ErrorCode != 0)
        {
            throw new CliException($"share group '{group}': {answer.ErrorMessage ?? $"error {answer.ErrorCode}"}");
        }

        var offsets = await KafkaWire.SendAsync<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>(
            connection,
            new DescribeShareGroupOffsetsRequest { Groups = [new() { GroupId = group, Topics = null }] },
            OffsetsVersion,
            cancellationToken);
        var partitions = offsets.Groups.Single().Topics
            .SelectMany(t => t.Partitions.Where(p => p.ErrorCode == 0).Select(p => (t.TopicName, p.PartitionIndex, p.StartOffset, p.Lag)))
            .OrderBy(p => p.TopicName, StringComparer.Ordinal).ThenBy(p => p.PartitionIndex)
            .ToList();
        return new ShareGroupState(coordinator.NodeId, answer, partitions);
    }
}
