using Wharf.Common;
using Wharf.Coordinator.Share;

namespace Wharf.Server.Share;

/// <summary>
/// Where share-partition leaders keep share-partition state (KIP-932's <c>Persister</c>): the share coordinator of the
/// state's key, in this process or on the broker leading its <c>__share_group_state</c> partition. A write completes
/// once durable; FENCED_LEADER_EPOCH / FENCED_STATE_EPOCH tell a writer that a newer one took over.
/// Thread-safety: implementations are safe from any thread.
/// </summary>
public interface IShareStatePersister
{
    /// <summary>The stored state of <paramref name="key"/>; null when it has none yet.</summary>
    Task<(ErrorCode Error, ShareSnapshot? State)> ReadAsync(ShareKey key, CancellationToken cancellationToken);

    Task<ErrorCode> WriteAsync(ShareKey key, ShareSnapshot state, CancellationToken cancellationToken);

    Task<ErrorCode> DeleteAsync(ShareKey key, CancellationToken cancellationToken);
}
