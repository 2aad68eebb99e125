namespace Wharf.Server.Http;

/// <summary>
/// What <c>/health/ready</c> answers: not ready until the broker has recovered its logs, opened its Kafka listener
/// and, in a cluster, registered; not ready again once it starts stopping. Thread-safety: safe from any thread.
/// </summary>
public sealed class BrokerReadiness
{
    private volatile string? _notReadyReason = "starting: recovering logs";

    /// <summary>Null when ready; otherwise a short sentence saying why not.</summary>
    public string? NotReadyReason => _notReadyReason;

    public bool IsReady => _notReadyReason is null;

    internal void NotReady(string reason) => _notReadyReason = reason;

    internal void Ready() => _notReadyReason = null;
}
