using Wharf.Common;
using Wharf.Metadata;

namespace Wharf.Server.Handlers;

/// <summary>
/// KIP-951's hints for partitions answered NOT_LEADER_OR_FOLLOWER: the current leader and its epoch per partition
/// (Produce v10+ and Fetch v12+ <c>CurrentLeader</c>) and the endpoints of those leaders (Produce v10+ and Fetch v16+
/// <c>NodeEndpoints</c>), so a client re-routes without waiting for a metadata refresh. Read from the image the
/// partitions follow; an endpoint is the leader's registration for the listener the request came on (else its first).
/// Thread-safety: one request, one thread.
/// </summary>
internal sealed class LeaderHints(MetadataImage? image, string listenerName)
{
    private readonly SortedSet<int> _leaders = [];

    /// <summary>The leader and leader epoch the image names (-1, -1 when it knows none); remembers the leader for <see cref="Endpoints"/>.</summary>
    public (int LeaderId, int LeaderEpoch) CurrentLeader(TopicPartition topicPartition)
    {
        if (image is null || !image.TryGetPartition(topicPartition, out var partition))
        {
            return (-1, -1);
        }

        if (partition.Leader >= 0)
        {
            _leaders.Add(partition.Leader);
        }

        return (partition.Leader, partition.LeaderEpoch);
    }

    /// <summary>The registered endpoints of every leader handed out, by node id.</summary>
    public IEnumerable<(int NodeId, string Host, int Port, string? Rack)> Endpoints()
    {
        foreach (var leader in _leaders)
        {
            if (image!.Brokers.TryGetValue(leader, out var broker) && broker.Endpoints.Length > 0)
            {
                var endpoint = broker.Endpoints.FirstOrDefault(e => e.Name == listenerName) ?? broker.Endpoints[0];
                yield return (leader, endpoint.Host, endpoint.Port, broker.Rack);
            }
        }
    }
}
