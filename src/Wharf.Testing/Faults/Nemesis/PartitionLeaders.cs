using System.Net.Sockets;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Testing.Faults.Nemesis;

/// <summary>
/// The leaders and replicas of a topic's partitions as one broker reports them (Metadata v12 asked directly, past any
/// fault proxy). Thread-safety: stateless; one connection per call.
/// </summary>
public static class PartitionLeaders
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Partition → (leader, replicas) of <paramref name="topic"/> from the first of <paramref name="askable"/> that answers; null when none does.</summary>
    public static async Task<IReadOnlyDictionary<int, (int Leader, IReadOnlyList<int> Replicas)>?> AskAsync(WharfCluster cluster, IEnumerable<int> askable, string topic, CancellationToken cancellationToken)
    {
        foreach (var nodeId in askable)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            try
            {
                var address = cluster.DirectAddressOf(nodeId);
                var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                await using var connection = await BrokerConnection.ConnectAsync("127.0.0.1", port, "wharf-nemesis", timeout.Token).ConfigureAwait(false);
                var response = await connection.SendAsync<MetadataRequest, MetadataResponse>(
                    new MetadataRequest { Topics = [new() { Name = topic }], AllowAutoTopicCreation = false }, 12, timeout.Token).ConfigureAwait(false);
                if (response.Topics is [{ ErrorCode: 0 } described])
                {
                    return described.Partitions.ToDictionary(p => p.PartitionIndex, p => (p.LeaderId, (IReadOnlyList<int>)[.. p.ReplicaNodes]));
                }
            }
            catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }
        }

        return null;
    }
}
