using System.Net.Sockets;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Testing;

/// <summary>What one broker says about the cluster: the live brokers and the active controller, as in its Metadata.</summary>
public sealed record ClusterView(int AnsweredBy, IReadOnlySet<int> LiveBrokers, int ControllerId)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Asks the broker at <paramref name="port"/> (Metadata v12, no topics); null when it does not answer in time.</summary>
    internal static async Task<ClusterView?> AskAsync(int nodeId, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            await using var connection = await BrokerConnection.ConnectAsync("127.0.0.1", port, "wharf-testing", timeout.Token).ConfigureAwait(false);
            var response = await connection.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = [] }, 12, timeout.Token).ConfigureAwait(false);
            return new ClusterView(nodeId, response.Brokers.Select(b => b.NodeId).ToHashSet(), response.ControllerId);
        }
        catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
