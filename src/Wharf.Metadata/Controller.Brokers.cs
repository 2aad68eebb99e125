using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Metadata;

/// <summary>
/// Broker liveness as the active controller sees it through service discovery: a registration that appears is
/// recorded (and the partitions its return brings back get it as leader), a registration whose session ended is
/// fenced (and the partitions it led get another in-sync leader, an unclean one where the topic allows it, or none). Each is one atomic metadata change, so no
/// image ever shows a fenced broker leading a partition.
/// </summary>
public sealed partial class Controller
{
    /// <summary>
    /// Records <paramref name="registration"/> (a broker that registered with a live session) unless the image holds
    /// exactly it, unfenced, already; then elects it leader where it is the only way back for an offline partition or
    /// the preferred replica (<c>auto.leader.rebalance.enable</c>, on by default as in Kafka).
    /// </summary>
    public async Task<(ErrorCode Error, string? Message)> AcceptRegistrationAsync(BrokerRegistration registration, bool rebalanceToPreferred, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return (ErrorCode.NotController, notController);
            }

            var unfenced = registration with { Fenced = false };
            if (Current.Brokers.TryGetValue(registration.NodeId, out var known) && known.Equals(unfenced))
            {
                return (ErrorCode.None, null);
            }

            MetadataRecord register = new RegisterBrokerRecord(registration.NodeId, registration.IncarnationId, registration.Endpoints, registration.Rack);
            var after = Current.Apply(register);
            List<MetadataRecord> records = [register, .. PartitionLeaderElection.OnReturned(after, registration.NodeId, rebalanceToPreferred, UncleanElection(after))];
            _logger.LogInformation("Broker {Broker} registered (incarnation {Incarnation}); {Partitions} partition leader(s) move to it",
                registration.NodeId, registration.IncarnationId, records.Count - 1);
            return await CommitAsync(records).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Whether a topic of <paramref name="image"/> allows unclean leader election: its
    /// <c>unclean.leader.election.enable</c> override, else the broker's. Resolved once per topic per call.
    /// </summary>
    private Func<TopicImage, bool> UncleanElection(MetadataImage image)
    {
        var resolved = new Dictionary<string, bool>(StringComparer.Ordinal);
        return topic =>
        {
            if (!resolved.TryGetValue(topic.Name, out var enabled))
            {
                enabled = TopicConfigs.Resolve(image.GetTopicConfigs(topic.Name)).UncleanLeaderElectionEnable;
                resolved[topic.Name] = enabled;
            }

            return enabled;
        };
    }

    /// <summary>
    /// Fences the registration <paramref name="incarnationId"/> of broker <paramref name="brokerId"/> (its session
    /// ended) and moves every leadership it held. A newer registration of the same node id is left alone.
    /// </summary>
    public async Task<(ErrorCode Error, string? Message)> FenceBrokerAsync(int brokerId, Guid incarnationId, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return (ErrorCode.NotController, notController);
            }

            if (!Current.Brokers.TryGetValue(brokerId, out var known) || known.IncarnationId != incarnationId || known.Fenced)
            {
                return (ErrorCode.None, null);
            }

            MetadataRecord fence = new BrokerRegistrationChangeRecord(brokerId, incarnationId, Fenced: true);
            var after = Current.Apply(fence);
            List<MetadataRecord> records = [fence, .. PartitionLeaderElection.OnFenced(after, brokerId, UncleanElection(after))];
            _logger.LogWarning("Broker {Broker} fenced: its session ended; {Partitions} partition(s) change leader or go offline",
                brokerId, records.Count - 1);
            return await CommitAsync(records).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }
}
